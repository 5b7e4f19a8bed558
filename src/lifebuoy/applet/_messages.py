"""Channel messages as the customer sees them (docs/sessions.md, "Messages
inside the channel"): what the technician may send, read strictly, and what
the applet sends.

Each message is one UTF-8 JSON object with a type ``t``. Anything that is not
a JSON object, or a known type with fields of the wrong type or size, is a
``MessageError`` and ends the session; an unknown type is returned as
``Unknown`` for the caller to log and ignore.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ._errors import MessageError

__all__ = [
    "MAX_MESSAGE_BYTES",
    "Chat",
    "Delivered",
    "End",
    "Hold",
    "Incoming",
    "TechnicianHello",
    "Transfer",
    "Unknown",
    "encode",
    "parse",
]

MAX_MESSAGE_BYTES = 64 << 10
"""Largest chat-layer message; a chat line of the longest text fits easily."""
CHAT_CHARS = 10_000
"""Longest chat line (the site stores event texts up to this many characters)."""
NAME_CHARS = 120
REASON_CHARS = 200
NOTE_CHARS = 1000
TARGET_CHARS = 254
_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_TYPE_SHOWN = 32


@dataclass(frozen=True)
class TechnicianHello:
    """Who is connected, as the site's technician account names them."""

    name: str
    """The technician's name, shown as text."""


@dataclass(frozen=True)
class Chat:
    """A chat line."""

    id: str
    """Chosen by the sender; the ``delivered`` receipt names it."""
    text: str
    """The line, shown as text."""
    at: str
    """When it was written (ISO 8601, the sender's clock)."""


@dataclass(frozen=True)
class Delivered:
    """The chat line with this id was shown to the other person."""

    id: str
    """The id of the chat line."""


@dataclass(frozen=True)
class Hold:
    """The technician put the session on hold, or took it back."""

    on: bool
    """True: on hold."""


@dataclass(frozen=True)
class Transfer:
    """The technician hands the customer on; the channel closes next."""

    to: str
    """Who the customer goes to (a technician or a group), for people."""
    note: str
    """The technician's note, possibly empty."""


@dataclass(frozen=True)
class End:
    """The sender is ending the session; the channel closes next."""

    reason: str
    """Why, for people."""


@dataclass(frozen=True)
class Unknown:
    """A message of a type this applet does not know: ignored."""

    type: str
    """Its ``t``, cut short, for the log."""


Incoming = TechnicianHello | Chat | Delivered | Hold | Transfer | End | Unknown


def parse(data: bytes) -> Incoming:
    """Read one message from the technician."""
    body = _object(data)
    kind = body.get("t")
    if not isinstance(kind, str):
        raise MessageError("a message without a type")

    if kind == "hello":
        return TechnicianHello(_text(body, "name", NAME_CHARS))
    if kind == "chat":
        return Chat(_id(body), _text(body, "text", CHAT_CHARS), _text(body, "at", 40))
    if kind == "delivered":
        return Delivered(_id(body))
    if kind == "hold":
        on = body.get("on")
        if not isinstance(on, bool):
            raise MessageError("hold: 'on' must be true or false")
        return Hold(on)
    if kind == "transfer":
        return Transfer(
            _text(body, "to", TARGET_CHARS), _text(body, "note", NOTE_CHARS, "")
        )
    if kind == "end":
        return End(_text(body, "reason", REASON_CHARS, ""))
    return Unknown(kind[:_TYPE_SHOWN])


def encode(kind: str, **fields: Any) -> bytes:
    """One message of type ``kind`` (the applet's own: hello, chat, delivered, end)."""
    return json.dumps({"t": kind, **fields}, ensure_ascii=False).encode("utf-8")


def _object(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_MESSAGE_BYTES:
        raise MessageError(f"a message of {len(data)} bytes, more than allowed")
    try:
        body = json.loads(data.decode("utf-8"), parse_constant=_refuse)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MessageError("a message that is not JSON") from None
    if not isinstance(body, dict):
        raise MessageError("a message that is not a JSON object")
    return body


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _text(body: dict[str, Any], name: str, longest: int, default: Any = None) -> str:
    value = body.get(name, default)
    if not isinstance(value, str) or len(value) > longest:
        raise MessageError(f"{body['t']}: '{name}' must be text of at most {longest}")
    return value


def _id(body: dict[str, Any]) -> str:
    value = body.get("id")
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise MessageError(f"{body['t']}: 'id' is not a valid id")
    return value
