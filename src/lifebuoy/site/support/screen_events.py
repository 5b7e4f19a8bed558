"""Screen events in the session log (docs/screen.md): what the console posts
about remote view and control, read strictly, and the line shown for each.

A screen event carries ``what`` (``view`` or ``control``), ``by`` (who
decided: the customer, the technician, the session policy, or the 60 s
timeout), ``allowed`` (answers only) and a short ``reason``, stored sealed in
the event's ``text`` like any other log text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import BadInput
from .models import SCREEN_KINDS, EventKind, ScreenAction, ScreenActor, SessionEvent

__all__ = ["REASON_CHARS", "ScreenFields", "describe", "parse_screen_fields"]

REASON_CHARS = 200
_FIELDS = ("what", "allowed", "by", "reason")
_SCREEN_KINDS = frozenset(kind.value for kind in SCREEN_KINDS)
_WHAT = frozenset(ScreenAction.values)
_BY = frozenset(ScreenActor.values)
_ANSWER_BY = frozenset({"customer", "policy", "timeout"})
_BY_NEEDED = frozenset({"screen.answer", "screen.stop", "screen.refused"})
_BY_WORDS = {
    "customer": "by the customer",
    "technician": "by the technician",
    "policy": "by the session policy",
    "timeout": "after no answer in time",
}


@dataclass(frozen=True)
class ScreenFields:
    """The screen fields of one posted event, checked."""

    what: str
    """``view`` or ``control``."""
    allowed: bool | None
    """The answer (``screen.answer`` only)."""
    by: str
    """Who decided, or empty where the console need not say."""
    reason: str
    """Why, for people (at most ``REASON_CHARS``)."""


def parse_screen_fields(item: dict[str, Any], kind: str, where: str) -> ScreenFields:
    """The screen fields of ``item``; BadInput when anything is off.

    Events of other kinds must not carry them, and screen events carry their
    words in ``reason``, never in ``text``.
    """
    if kind not in _SCREEN_KINDS:
        extra = [name for name in _FIELDS if name in item]
        if extra:
            raise BadInput(f"{where}.{extra[0]} is only for screen events.")
        return ScreenFields("", None, "", "")
    if item.get("text") not in (None, ""):
        raise BadInput(f"{where}.text is not used by screen events; send reason.")

    what = _choice(item, "what", _WHAT, where, required=True)
    by = _choice(item, "by", _BY, where, required=kind in _BY_NEEDED)
    allowed = item.get("allowed")
    if kind == EventKind.SCREEN_ANSWER:
        if not isinstance(allowed, bool):
            raise BadInput(f"{where}.allowed must be true or false.")
        if by not in _ANSWER_BY:
            raise BadInput(f"{where}.by must be customer, policy or timeout.")
        if by == "timeout" and allowed:
            raise BadInput(f"{where}: a request nobody answered is denied.")
    elif allowed is not None:
        raise BadInput(f"{where}.allowed is only for screen.answer events.")
    return ScreenFields(what, allowed, by, _reason(item, where))


def _choice(
    item: dict[str, Any], name: str, allowed: frozenset[str], where: str, required: bool
) -> str:
    value = item.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or value not in allowed:
        raise BadInput(f"{where}.{name} must be one of {', '.join(sorted(allowed))}.")
    return value


def _reason(item: dict[str, Any], where: str) -> str:
    value = item.get("reason", "")
    if not isinstance(value, str) or len(value) > REASON_CHARS:
        raise BadInput(f"{where}.reason must be text of at most {REASON_CHARS}.")
    if "\x00" in value:
        raise BadInput(f"{where}.reason contains a NUL character.")
    return value


def describe(event: SessionEvent) -> str:
    """The line a person reads, e.g. "Customer allowed control" (plain text:
    the template escapes it)."""
    what = "control" if event.what == "control" else "viewing"
    line = _line(event.kind, what, event.allowed, event.by)
    return f"{line}: {event.text}" if event.text else line


def _line(kind: str, what: str, allowed: bool | None, by: str) -> str:
    if kind == EventKind.SCREEN_REQUEST:
        return f"Requested {what}"
    if kind == EventKind.SCREEN_ANSWER:
        if by == "customer":
            return f"Customer {'allowed' if allowed else 'denied'} {what}"
        if by == "timeout":
            return f"{what.capitalize()} denied: the customer did not answer"
        verb = "allowed" if allowed else "refused"
        return f"{what.capitalize()} {verb} by the session policy"
    if kind == EventKind.SCREEN_START:
        return f"{what.capitalize()} started"
    if kind == EventKind.SCREEN_STOP:
        return f"{what.capitalize()} stopped {_BY_WORDS.get(by, '')}".rstrip()
    if kind == EventKind.SCREEN_REFUSED:
        return "Input refused" if what == "control" else "Viewing refused"
    return kind
