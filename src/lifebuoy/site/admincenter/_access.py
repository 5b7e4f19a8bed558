"""Who may open which Administration Center page, and on which objects.

Every query here is scoped twice: to the acting user's organization, and to
the groups they may manage. An object outside that scope is answered with 404,
so that its id does not even confirm it exists.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from lifebuoy.site.accounts.models import Role, TechnicianGroup, User
from lifebuoy.site.audit.chain import record
from lifebuoy.site.security.net import client_ip

View = Callable[..., HttpResponse]

# URL ids are unbounded digits; past a 64-bit key the database would raise.
_MAX_ID = 2**63 - 1


def acting_user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def administrators_only(view: View) -> View:
    """Logged in as an administrator or master administrator, else 403."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not acting_user(request).is_administrator:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def master_admins_only(view: View) -> View:
    """Logged in as a master administrator, else 403."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not acting_user(request).is_master_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def manageable_groups(user: User) -> QuerySet[TechnicianGroup]:
    return TechnicianGroup.objects.filter(
        organization_id=user.organization_id, pk__in=user.manageable_group_ids()
    )


def manageable_technicians(user: User) -> QuerySet[User]:
    return User.objects.filter(
        organization_id=user.organization_id,
        role=Role.TECHNICIAN,
        group_id__in=user.manageable_group_ids(),
    ).select_related("group")


def technicians_for(user: User) -> QuerySet[User]:
    """Technicians the user may see: a master administrator sees those
    without a group too."""
    if user.is_master_admin:
        return User.objects.filter(
            organization_id=user.organization_id, role=Role.TECHNICIAN
        ).select_related("group")
    return manageable_technicians(user)


def group_or_404(user: User, group_id: int) -> TechnicianGroup:
    _check_id(group_id)
    group = manageable_groups(user).filter(pk=group_id).first()
    if group is None:
        raise Http404
    return group


def technician_or_404(user: User, user_id: int) -> User:
    _check_id(user_id)
    technician = technicians_for(user).filter(pk=user_id).first()
    if technician is None:
        raise Http404
    return technician


def administrator_or_404(user: User, user_id: int) -> User:
    """An administrator of the acting master administrator's organization."""
    _check_id(user_id)
    found = User.objects.filter(
        organization_id=user.organization_id,
        role__in=(Role.ADMIN, Role.MASTER_ADMIN),
        pk=user_id,
    ).first()
    if found is None:
        raise Http404
    return found


def _check_id(value: int) -> None:
    if not 0 < value <= _MAX_ID:
        raise Http404


def audit(
    request: HttpRequest, action: str, target: str, detail: dict[str, Any] | None
) -> None:
    """Record a change made by the acting user from this request."""
    user = acting_user(request)
    record(
        action,
        organization_id=user.organization_id,
        actor_id=user.pk,
        actor=user.email,
        target=target,
        ip=client_ip(request),
        detail=detail,
    )


def enabled_flag(request: HttpRequest) -> bool | None:
    """The ``enabled`` field of an enable/disable form: True, False or None."""
    return {"1": True, "0": False}.get(request.POST.get("enabled", ""))


def query_id(request: HttpRequest, name: str) -> int | None:
    """An id from the query string, or None when it is absent or not a number."""
    value = request.GET.get(name, "")
    if value and len(value) <= 18 and value.isascii() and value.isdigit():
        return int(value)
    return None
