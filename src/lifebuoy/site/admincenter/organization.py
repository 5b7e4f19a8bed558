"""Organization settings, for master administrators only."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ._access import acting_user, audit, master_admins_only
from .forms import OrganizationForm


@require_http_methods(["GET", "POST"])
@master_admins_only
def organization_settings(request: HttpRequest) -> HttpResponse:
    organization = acting_user(request).organization
    data = request.POST if request.method == "POST" else None
    form = OrganizationForm.for_organization(organization, data)
    if request.method == "GET" or not form.is_valid():
        status = 400 if request.method == "POST" else 200
        context = {
            "form": form,
            "organization": organization,
            "section": "organization",
        }
        return render(request, "admincenter/organization.html", context, status=status)

    before = organization.inactivity_timeout_s
    after = form.cleaned_data["inactivity_minutes"] * 60
    if before != after:
        organization.inactivity_timeout_s = after
        organization.save(update_fields=["inactivity_timeout_s"])
        detail = {"changed": {"inactivity_timeout_s": [before, after]}}
        audit(request, "organization.update", organization.name, detail)
    messages.success(request, "The organization settings are saved.")
    return redirect("admincenter:organization")
