"""``{% support_settings_form %}``: the support options card of the
organization settings page."""

from __future__ import annotations

from typing import Any

from django import template

from ..settings_views import SupportSettingsForm

register = template.Library()


@register.inclusion_tag("support/organization_settings.html", takes_context=True)
def support_settings_form(context: dict[str, Any]) -> dict[str, Any]:
    organization = context["organization"]
    return {
        "support_form": SupportSettingsForm.for_organization(organization.pk),
        "csrf_token": context.get("csrf_token"),
    }
