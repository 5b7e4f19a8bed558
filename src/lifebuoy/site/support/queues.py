"""Who sees which session, queues, and the JSON form of a session."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lifebuoy.site.accounts.models import User

from .errors import Forbidden, NotFound
from .limits import limits
from .models import State, SupportSession
from .notify import audience, queue_changed

__all__ = ["as_json", "queue_for", "session_in_reach", "sweep", "technician_only"]

logger = logging.getLogger(__name__)

_ID_LENGTH = 24


def technician_only(user: Any) -> User:
    if not isinstance(user, User) or not user.is_active:
        raise Forbidden("Log in as a technician.")
    if not user.is_technician:
        raise Forbidden("Only technicians can do this.")
    return user


def in_reach(user: User) -> Q:
    """Sessions a technician may pick up or holds: their own private queue,
    their group's shared queue, and what they have picked up."""
    waiting_here = Q(queue_owner=user)
    if user.group_id is not None:
        # A channel session shows once its customer has joined.
        waiting_here |= Q(queue_group_id=user.group_id, queue_owner=None)
    return Q(organization_id=user.organization_id) & (
        Q(technician=user, state__in=(State.ACTIVE, State.ON_HOLD))
        | (Q(state=State.WAITING) & waiting_here)
    )


def queue_for(user: User) -> list[SupportSession]:
    rows = SupportSession.objects.filter(in_reach(user)).exclude(
        queue_owner=None, joined_at=None
    )
    rows = rows.select_related("queue_group", "technician")
    return list(rows.order_by("waiting_since"))


def session_in_reach(user: User, public_id: str) -> SupportSession:
    """The session, if this technician may act on it; NotFound otherwise, so an
    id outside their reach does not even confirm it exists."""
    if not isinstance(public_id, str) or len(public_id) > _ID_LENGTH:
        raise NotFound("No such session in your queues.")
    found = (
        SupportSession.objects.select_for_update()
        .filter(in_reach(user), public_id=public_id)
        .first()
    )
    if found is None:
        raise NotFound("No such session in your queues.")
    return found


def as_json(session: SupportSession) -> dict[str, Any]:
    """The contract's ``Session`` object, plus a few display fields."""
    group, technician = session.queue_group, session.technician
    return {
        "id": session.public_id,
        "state": session.state,
        "queue": "private" if session.queue_owner_id else "group",
        "group": group.pk if group else None,
        "group_name": group.name if group else None,
        "technician": technician.email if technician else None,
        "technician_name": technician.name if technician else None,
        "customer_name": session.customer_name,
        "problem": session.problem,
        "hostname": session.hostname,
        "os": session.os,
        "customer_present": session.joined_at is not None,
        "created_at": session.created_at.isoformat(),
        "waiting_since": session.waiting_since.isoformat(),
        "note": session.transfer_note,
    }


def close_session(session: SupportSession, reason: str, now: datetime) -> None:
    """Close in place (the caller holds the row lock) and tell the queues."""
    before = audience(session)
    session.state = State.CLOSED
    session.closed_at = now
    session.close_reason = reason[:200]
    session.credential_jti = ""
    session.save(update_fields=["state", "closed_at", "close_reason", "credential_jti"])
    logger.info("session %s closed: %s", session.public_id, session.close_reason)
    queue_changed(session, before=before)


def sweep(now: datetime | None = None) -> int:
    """Close sessions that can no longer start: PIN expired before use, or the
    applet never joined while the session file was good."""
    now = now or timezone.now()
    waiting = SupportSession.objects.filter(state=State.WAITING, joined_at=None)
    pin_dead = Q(pin__used_at=None, pin__expires_at__lte=now)
    grace = timedelta(seconds=limits().credential_lifetime_s)
    never_joined = Q(entered_at__lte=now - grace)
    closed = 0
    with transaction.atomic():
        for session in waiting.filter(pin_dead | never_joined).select_for_update():
            reason = "PIN expired" if session.entered_at is None else "never joined"
            close_session(session, reason, now)
            closed += 1
    return closed
