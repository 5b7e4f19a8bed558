"""Forms of the login and password pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation

from .models import User


class LoginForm(forms.Form):
    login_id = forms.CharField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters, not a common password.",
    )
    repeat_password = forms.CharField(
        label="Repeat the new password",
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_current_password(self) -> str:
        current: str = self.cleaned_data["current_password"]
        if not self.user.check_password(current):
            raise forms.ValidationError("That is not your current password.")
        return current

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        new, repeat = data.get("new_password"), data.get("repeat_password")
        if new and repeat and new != repeat:
            self.add_error("repeat_password", "The two new passwords differ.")
        elif new:
            if new == data.get("current_password"):
                self.add_error(
                    "new_password", "Choose a password you have not used here."
                )
            try:
                password_validation.validate_password(new, self.user)
            except forms.ValidationError as exc:
                self.add_error("new_password", exc)
        return data
