"""Session logs for people: a technician's own history in the Technician
Console, and the sessions of managed groups in the Administration Center.

Every query is scoped to what the acting user may see; anything else is 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lifebuoy.site.accounts.models import User
from lifebuoy.site.admincenter._access import acting_user, administrators_only

from .models import CHAT_KINDS, SCREEN_KINDS, SessionTechnician, SupportSession

PAGE_SIZE = 50


def own_sessions(user: User) -> QuerySet[SupportSession]:
    """Sessions the technician had, or made a PIN for."""
    had_it = SessionTechnician.objects.filter(user=user).values("session_id")
    return SupportSession.objects.filter(
        Q(pk__in=had_it) | Q(queue_owner=user), organization_id=user.organization_id
    )


def managed_sessions(user: User) -> QuerySet[SupportSession]:
    """Every session of the organization for a master administrator; for an
    administrator, those that touched a group they manage: its queue, or a
    technician of it."""
    rows = SupportSession.objects.filter(organization_id=user.organization_id)
    if user.is_master_admin:
        return rows
    groups = user.manageable_group_ids()
    by_member = SessionTechnician.objects.filter(user__group_id__in=groups)
    return rows.filter(
        Q(queue_group_id__in=groups)
        | Q(queue_owner__group_id__in=groups)
        | Q(pk__in=by_member.values("session_id"))
    ).distinct()


def _list(
    request: HttpRequest, rows: QuerySet[SupportSession], template: str
) -> HttpResponse:
    rows = rows.select_related("technician", "queue_group", "queue_owner")
    page = Paginator(rows.order_by("-created_at"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, template, {"page": page, "section": "sessions"})


def _detail(
    request: HttpRequest, rows: QuerySet[SupportSession], public_id: str, template: str
) -> HttpResponse:
    session = rows.filter(public_id=public_id[:24]).first()
    if session is None:
        raise Http404
    technicians = session.technicians.select_related("user").order_by("first_pickup_at")
    context: dict[str, Any] = {
        "session": session,
        "events": list(session.events.order_by("at", "pk")),
        "technicians": technicians,
        "chat_kinds": [kind.value for kind in CHAT_KINDS],
        "screen_kinds": [kind.value for kind in SCREEN_KINDS],
        "section": "sessions",
    }
    return render(request, template, context)


def _technician(request: HttpRequest) -> User:
    user = acting_user(request)
    if not user.is_technician:
        raise PermissionDenied
    return user


@require_GET
@login_required
def console_list(request: HttpRequest) -> HttpResponse:
    return _list(
        request, own_sessions(_technician(request)), "support/console_list.html"
    )


@require_GET
@login_required
def console_detail(request: HttpRequest, session_id: str) -> HttpResponse:
    rows = own_sessions(_technician(request))
    return _detail(request, rows, session_id, "support/console_detail.html")


@require_GET
@administrators_only
def admin_list(request: HttpRequest) -> HttpResponse:
    rows = managed_sessions(acting_user(request))
    return _list(request, rows, "support/admin_list.html")


@require_GET
@administrators_only
def admin_detail(request: HttpRequest, session_id: str) -> HttpResponse:
    rows = managed_sessions(acting_user(request))
    return _detail(request, rows, session_id, "support/admin_detail.html")
