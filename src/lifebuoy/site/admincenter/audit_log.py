"""The organization's audit log, newest first, for master administrators."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lifebuoy.site.audit.models import AuditEvent

from ._access import acting_user, master_admins_only

PAGE_SIZE = 50


@require_GET
@master_admins_only
def audit_log(request: HttpRequest) -> HttpResponse:
    organization_id = acting_user(request).organization_id
    events = AuditEvent.objects.filter(organization_id=organization_id).order_by("-seq")
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "section": "audit"}
    return render(request, "admincenter/audit_log.html", context)
