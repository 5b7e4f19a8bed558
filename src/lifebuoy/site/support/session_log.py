"""Posting to and reading a session's log through the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lifebuoy.site.accounts.models import User

from .errors import Conflict, NotFound
from .events import as_json, store_events
from .limits import limits
from .models import SessionTechnician, State, SupportSession
from .queues import in_reach

__all__ = ["post_events", "read_log"]

_NOT_FOUND = "No such session in your queues or your history."


def _lookup(rows: Any, public_id: Any) -> SupportSession:
    if not isinstance(public_id, str) or len(public_id) > 24:
        raise NotFound(_NOT_FOUND)
    session = rows.filter(public_id=public_id).first()
    if session is None:
        raise NotFound(_NOT_FOUND)
    return session  # type: ignore[no-any-return]


def post_events(user: User, public_id: str, raw: Any) -> tuple[int, int]:
    """Only the technician who has the session posts to its log; after closing
    it, for a short grace time (the last lines of a batch in flight)."""
    with transaction.atomic():
        rows = SupportSession.objects.select_for_update().filter(
            organization_id=user.organization_id, technician=user
        )
        session = _lookup(rows, public_id)
        if session.state == State.WAITING:
            raise Conflict("Pick the session up first.")
        if session.state == State.CLOSED:
            grace = timedelta(seconds=limits().closed_event_grace_s)
            if session.closed_at is None or session.closed_at + grace < timezone.now():
                raise Conflict("This session is closed; its log is complete.")
        return store_events(session, raw)


def read_log(user: User, public_id: str) -> list[dict[str, Any]]:
    """The log for whoever may pick the session up or has had it."""
    had_it = SessionTechnician.objects.filter(user=user).values("session_id")
    rows = SupportSession.objects.filter(
        in_reach(user) | Q(organization_id=user.organization_id, pk__in=had_it)
    )
    session = _lookup(rows, public_id)
    return [as_json(event) for event in session.events.order_by("at", "pk")]
