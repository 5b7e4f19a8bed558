"""The organization's support options, on the organization settings page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from lifebuoy.site.admincenter._access import acting_user, audit, master_admins_only

from .models import SupportSettings, store_chat_text


class SupportSettingsForm(forms.Form):
    store_chat_text = forms.BooleanField(
        label="Store chat text in session logs",
        required=False,
        help_text=(
            "When off, session logs keep who said something and when, but not "
            "what. Stored text is always encrypted."
        ),
    )

    @classmethod
    def for_organization(cls, organization_id: int) -> SupportSettingsForm:
        return cls(initial={"store_chat_text": store_chat_text(organization_id)})


@require_POST
@master_admins_only
def support_settings(request: HttpRequest) -> HttpResponse:
    organization = acting_user(request).organization
    form = SupportSettingsForm(request.POST)
    form.is_valid()  # A checkbox is always valid: absent means off.
    after = bool(form.cleaned_data.get("store_chat_text"))

    row, _ = SupportSettings.objects.get_or_create(organization=organization)
    if row.store_chat_text != after:
        before = row.store_chat_text
        row.store_chat_text = after
        row.save(update_fields=["store_chat_text"])
        detail = {"changed": {"store_chat_text": [before, after]}}
        audit(request, "organization.update", organization.name, detail)
    messages.success(request, "The support session settings are saved.")
    return redirect("admincenter:organization")
