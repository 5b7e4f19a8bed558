"""A customer arriving: by PIN (see pins.py) or by a group's channel link."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from . import throttle
from .credentials import issue_credential, new_jti
from .errors import NotFound, TooMany
from .limits import limits
from .models import Attempt, ChannelLink, State, SupportSession
from .notify import queue_changed

__all__ = ["NAME_CHARS", "PROBLEM_CHARS", "enter_by_channel", "welcome"]

logger = logging.getLogger(__name__)

NAME_CHARS = 120
PROBLEM_CHARS = 2000
NO_CHANNEL = (
    "This support link is no longer active. Ask your technician for a new one or a PIN."
)


def welcome(session: SupportSession, name: str, problem: str, now: datetime) -> str:
    """Record who arrived and with what; return their session credential."""
    session.customer_name = name[:NAME_CHARS]
    session.problem = problem[:PROBLEM_CHARS]
    session.entered_at = now
    session.credential_jti = new_jti()
    session.save(
        update_fields=["customer_name", "problem", "entered_at", "credential_jti"]
    )
    queue_changed(session)
    logger.info("customer entered session %s", session.public_id)
    lifetime = limits().credential_lifetime_s
    return issue_credential(
        session.public_id, session.credential_jti, int(now.timestamp()), lifetime
    )


def channel_link(token: str) -> ChannelLink:
    if not isinstance(token, str) or not 16 <= len(token) <= 64:
        raise NotFound(NO_CHANNEL)
    link = (
        ChannelLink.objects.select_related("group")
        .filter(token=token, enabled=True, group__enabled=True)
        .first()
    )
    if link is None:
        raise NotFound(NO_CHANNEL)
    return link


def enter_by_channel(
    token: str, ip: str | None, name: str, problem: str
) -> tuple[SupportSession, str]:
    """A new session in the group's shared queue, and its credential."""
    link = channel_link(token)
    now = timezone.now()
    rules = limits()
    window = throttle.Window(
        Attempt.Kind.CHANNEL_SESSION,
        rules.address_window_s,
        rules.channel_sessions_per_address,
    )
    if ip is not None and (wait := window.wait(now, ip=ip)) > 0:
        raise TooMany("Too many support sessions were started from this address.", wait)

    with transaction.atomic():
        session = SupportSession.objects.create(
            organization_id=link.group.organization_id,
            state=State.WAITING,
            queue_group=link.group,
            waiting_since=now,
        )
        throttle.note(Attempt.Kind.CHANNEL_SESSION, now, ip=ip)
        credential = welcome(session, name, problem, now)
    return session, credential
