"""A technician group's channel link: create it, enable or disable it, and
replace it with a new one.

A channel link is a bearer address: whoever has it can start a session in
the group's shared queue. So its token goes to the administrator's page and
nowhere else, not into the audit log. Replacing the link gives it a new token;
the old address stops working with the same request.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from lifebuoy.site.accounts.models import TechnicianGroup
from lifebuoy.site.security.views import error_response
from lifebuoy.site.support.models import (
    ChannelLink,
    EventKind,
    SupportSession,
    new_channel_token,
)

from ._access import (
    _check_id,
    acting_user,
    administrators_only,
    audit,
    enabled_flag,
    group_or_404,
)

__all__ = [
    "ChannelLinkRow",
    "channel_link_create",
    "channel_link_replace",
    "channel_link_set_enabled",
    "channel_links_of",
]


@dataclass(frozen=True)
class ChannelLinkRow:
    """A channel link as the group page shows it."""

    pk: int
    url: str
    """The address customers open."""
    enabled: bool
    sessions: int
    """Sessions started from it and never transferred."""


def _customer_url(token: str) -> str:
    base = settings.LIFEBUOY.public_url.rstrip("/")
    return f"{base}{reverse('support:channel', args=[token])}"


def channel_links_of(group: TechnicianGroup) -> list[ChannelLinkRow]:
    links = list(ChannelLink.objects.filter(group=group).order_by("created_at", "pk"))
    if not links:
        return []
    sessions = _count(group)
    return [
        ChannelLinkRow(link.pk, _customer_url(link.token), link.enabled, sessions)
        for link in links
    ]


def _count(group: TechnicianGroup) -> int:
    # Only channel links start sessions without a PIN. A session keeps no
    # record of the link it came from, so a transferred one is left out
    # rather than counted for the group it was sent to.
    return (
        SupportSession.objects.filter(
            organization_id=group.organization_id,
            queue_group=group,
            pin__isnull=True,
        )
        .exclude(events__kind=EventKind.TRANSFER)
        .count()
    )


@require_POST
@administrators_only
def channel_link_create(request: HttpRequest, group_id: int) -> HttpResponse:
    group = group_or_404(acting_user(request), group_id)

    with transaction.atomic():
        # The row lock keeps two quick clicks from racing to a second link.
        TechnicianGroup.objects.select_for_update().filter(pk=group.pk).get()
        if ChannelLink.objects.filter(group=group).exists():
            messages.error(
                request, f"The group {group.name} already has a channel link."
            )
            return _back(group)
        link = ChannelLink.objects.create(group=group)
        audit(request, "channel_link.create", group.name, _detail(link))

    messages.success(request, f"The channel link of {group.name} is created.")
    return _back(group)


@require_POST
@administrators_only
def channel_link_set_enabled(
    request: HttpRequest, group_id: int, link_id: int
) -> HttpResponse:
    group, link = _link_or_404(request, group_id, link_id)
    enabled = enabled_flag(request)
    if enabled is None:
        return error_response(request, 400, "Say whether to enable or disable.")

    if link.enabled != enabled:
        with transaction.atomic():
            link.enabled = enabled
            link.save(update_fields=["enabled"])
            action = "channel_link.enable" if enabled else "channel_link.disable"
            audit(request, action, group.name, _detail(link))
    state = "enabled" if enabled else "disabled"
    messages.success(request, f"The channel link of {group.name} is {state}.")
    return _back(group)


@require_POST
@administrators_only
def channel_link_replace(
    request: HttpRequest, group_id: int, link_id: int
) -> HttpResponse:
    group, link = _link_or_404(request, group_id, link_id)

    with transaction.atomic():
        link.token = new_channel_token()
        link.save(update_fields=["token"])
        audit(request, "channel_link.rotate", group.name, _detail(link))

    messages.success(
        request,
        f"The channel link of {group.name} is replaced. The old link no longer "
        "works: give customers the new one.",
    )
    return _back(group)


def _link_or_404(
    request: HttpRequest, group_id: int, link_id: int
) -> tuple[TechnicianGroup, ChannelLink]:
    group = group_or_404(acting_user(request), group_id)
    _check_id(link_id)
    link = ChannelLink.objects.filter(group=group, pk=link_id).first()
    if link is None:
        raise Http404
    return group, link


def _detail(link: ChannelLink) -> dict[str, int]:
    return {"group_id": link.group_id, "channel_link_id": link.pk}


def _back(group: TechnicianGroup) -> HttpResponse:
    # To the top of the page, where the message saying what happened is.
    return redirect("admincenter:group", group_id=group.pk)
