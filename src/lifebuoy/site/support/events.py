"""The session log: events posted by the console and those the site records.

Each event id is stored once per session, so a batch sent again after a
network failure is not duplicated. Chat text is sealed by the vault, and left
out entirely when the organization does not store chat text. Screen events
(``screen.*``) carry fields of their own, read by ``screen_events``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .errors import BadInput
from .limits import limits
from .models import (
    CHAT_KINDS,
    SCREEN_KINDS,
    EventKind,
    SessionEvent,
    SupportSession,
    store_chat_text,
)
from .screen_events import parse_screen_fields

__all__ = ["as_json", "record_event", "store_events"]

_KINDS = frozenset(kind.value for kind in EventKind)
_ACTOR_CHARS = 120


def record_event(
    session: SupportSession, kind: EventKind, actor: str, text: str = ""
) -> None:
    """An event the site itself witnessed (pickup, hold, transfer, close)."""
    SessionEvent.objects.create(
        session=session,
        organization_id=session.organization_id,
        kind=kind,
        at=timezone.now(),
        actor=actor[:_ACTOR_CHARS],
        text=text,
    )


def store_events(session: SupportSession, raw: Any) -> tuple[int, int]:
    """Validate a batch, store the new events; return (stored, duplicates)."""
    if not isinstance(raw, list):
        raise BadInput("events must be a list.")
    most = limits().events_per_batch
    if len(raw) > most:
        raise BadInput(f"Send at most {most} events at a time.")
    parsed = [_parse(item, number) for number, item in enumerate(raw)]

    # Ids already stored, and ids repeated inside this batch, are duplicates.
    ids = [event.event_id for event in parsed]
    known = set(
        SessionEvent.objects.filter(session=session, event_id__in=ids).values_list(
            "event_id", flat=True
        )
    )
    fresh: dict[uuid.UUID, SessionEvent] = {}
    for event in parsed:
        if event.event_id not in known:
            fresh.setdefault(event.event_id, event)

    keep_text = store_chat_text(session.organization_id)
    for event in fresh.values():
        event.session = session
        event.organization_id = session.organization_id
        if event.kind in CHAT_KINDS and not keep_text:
            event.text = ""
    SessionEvent.objects.bulk_create(fresh.values(), ignore_conflicts=True)
    return len(fresh), len(parsed) - len(fresh)


def _parse(item: Any, number: int) -> SessionEvent:
    where = f"events[{number}]"
    if not isinstance(item, dict):
        raise BadInput(f"{where} must be an object.")
    try:
        event_id = uuid.UUID(_string(item, "id", where, 36))
    except ValueError:
        raise BadInput(f"{where}.id must be a UUID.") from None
    kind = _string(item, "kind", where, 20)
    if kind not in _KINDS:
        raise BadInput(f"{where}.kind must be one of {', '.join(sorted(_KINDS))}.")
    screen = parse_screen_fields(item, kind, where)
    text = _string(item, "text", where, limits().event_text_chars, required=False)
    return SessionEvent(
        event_id=event_id,
        kind=kind,
        at=_time(_string(item, "at", where, 40), where),
        actor=_string(item, "actor", where, _ACTOR_CHARS, required=False),
        text=screen.reason or text,
        what=screen.what,
        allowed=screen.allowed,
        by=screen.by,
    )


def _string(
    item: dict[str, Any], name: str, where: str, longest: int, required: bool = True
) -> str:
    value = item.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise BadInput(f"{where}.{name} must be a string.")
    if len(value) > longest:
        raise BadInput(f"{where}.{name} is longer than {longest} characters.")
    if "\x00" in value:
        raise BadInput(f"{where}.{name} contains a NUL character.")
    return value


def _time(text: str, where: str) -> datetime:
    try:
        parsed = parse_datetime(text)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise BadInput(f"{where}.at must be an ISO 8601 time with a time zone.")
    return parsed


def as_json(event: SessionEvent) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "id": str(event.event_id),
        "kind": event.kind,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "text": event.text,
    }
    if event.kind in SCREEN_KINDS:
        answer.update(what=event.what, by=event.by, reason=event.text)
        if event.kind == EventKind.SCREEN_ANSWER:
            answer["allowed"] = event.allowed
    return answer
