"""The customer's forms: PIN, name, problem."""

from __future__ import annotations

from django import forms

from .entry import NAME_CHARS, PROBLEM_CHARS


class CustomerForm(forms.Form):
    name = forms.CharField(
        label="Your name",
        max_length=NAME_CHARS,
        required=False,
        help_text="Optional: so your technician knows who is calling.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    problem = forms.CharField(
        label="What do you need help with?",
        max_length=PROBLEM_CHARS,
        required=False,
        help_text="Optional.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PinForm(CustomerForm):
    pin = forms.CharField(
        label="PIN",
        max_length=20,
        help_text="The six digits your technician gave you.",
        error_messages={"required": "Enter the six digits of your PIN."},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "autofocus": True,
                "class": "pin-input",
                "placeholder": "123 456",
            }
        ),
    )

    field_order = ["pin", "name", "problem"]
