"""Channel messages as the technician sees them (docs/sessions.md, "Messages
inside the channel"): what the customer's applet may send, read strictly.

The applet keeps its own reader of the technician's messages
(``lifebuoy.applet._messages``); each end parses what its peer sends. The
screen messages of docs/screen.md come out as ``ScreenMessage`` (JSON, fields
typed) and ``PictureMessage`` (binary, first byte 0x00, passed on as is).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import MessageError

__all__ = [
    "Chat",
    "CustomerHello",
    "Delivered",
    "End",
    "Incoming",
    "PictureMessage",
    "ScreenMessage",
    "Unknown",
    "parse",
]

MAX_MESSAGE_BYTES = 64 << 10
MAX_PICTURE_BYTES = 1 << 20
"""docs/screen.md: every binary message is at most 1 MiB."""
CHAT_CHARS = 10_000
MACHINE_CHARS = 255
REASON_CHARS = 200
_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


@dataclass(frozen=True)
class CustomerHello:
    """What the applet says about the customer's computer (shown as text)."""

    hostname: str
    """The computer's name."""
    os: str
    """Its operating system."""
    user: str
    """The account the applet runs as."""


@dataclass(frozen=True)
class Chat:
    """A chat line from the customer."""

    id: str
    """Chosen by the applet; the ``delivered`` receipt names it."""
    text: str
    """The line."""
    at: str
    """When it was written (ISO 8601, the customer's clock)."""


@dataclass(frozen=True)
class Delivered:
    """The applet showed the technician's chat line ``id``."""

    id: str
    """The id of the line."""


@dataclass(frozen=True)
class End:
    """The customer is ending the session; the channel closes next."""

    reason: str
    """Why, for people."""


@dataclass(frozen=True)
class Unknown:
    """A message type this library does not know: ignored."""

    type: str
    """Its ``t``, cut short."""


@dataclass(frozen=True)
class ScreenMessage:
    """A screen message from the applet (docs/screen.md), its fields checked."""

    type: str
    """Its ``t``: ``answer``, ``screen.state``, ``refused``, ``cursor``..."""
    fields: Mapping[str, Any]
    """The documented fields, typed; anything else the applet sent is left out."""


@dataclass(frozen=True)
class PictureMessage:
    """A binary screen message (video, sharp region, cursor shape)."""

    data: bytes
    """The whole message: ``00``, the kind byte, then the body."""


Incoming = (
    CustomerHello | Chat | Delivered | End | ScreenMessage | PictureMessage | Unknown
)


def parse(data: bytes) -> Incoming:
    """Read one message from the customer's applet."""
    if data[:1] == b"\x00":
        if not 2 <= len(data) <= MAX_PICTURE_BYTES:
            raise MessageError(f"a binary message of {len(data)} bytes")
        return PictureMessage(bytes(data))
    if len(data) > MAX_MESSAGE_BYTES:
        raise MessageError(f"a message of {len(data)} bytes, more than allowed")
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MessageError("a message that is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("t"), str):
        raise MessageError("a message that is not a JSON object with a type")

    kind = body["t"]
    if kind == "hello":
        return CustomerHello(
            *(
                _text(body, name, MACHINE_CHARS, "")
                for name in ("hostname", "os", "user")
            )
        )
    if kind == "chat":
        return Chat(_id(body), _text(body, "text", CHAT_CHARS), _text(body, "at", 40))
    if kind == "delivered":
        return Delivered(_id(body))
    if kind == "end":
        return End(_text(body, "reason", REASON_CHARS, ""))
    if kind in _SCREEN:
        return ScreenMessage(kind, _SCREEN[kind](body))
    return Unknown(kind[:32])


def encode(kind: str, **fields: Any) -> bytes:
    """One message of type ``kind``."""
    return json.dumps({"t": kind, **fields}, ensure_ascii=False).encode("utf-8")


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


# -- screen messages (docs/screen.md, "From the customer") ---------------------

MAX_MONITORS = 16
_COORDINATE = 1 << 31
_SIZE = 1 << 16


def _answer(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": _id(body),
        "what": _action(body),
        "allowed": _flag(body, "allowed"),
        "reason": _text(body, "reason", REASON_CHARS, ""),
    }


def _state(body: dict[str, Any]) -> dict[str, Any]:
    by = _text(body, "by", 32, "")
    return {"view": _flag(body, "view"), "control": _flag(body, "control"), "by": by}


def _refused(body: dict[str, Any]) -> dict[str, Any]:
    return {"what": _action(body), "reason": _text(body, "reason", REASON_CHARS, "")}


def _cursor(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "x": _number(body, "x", -_COORDINATE, _COORDINATE),
        "y": _number(body, "y", -_COORDINATE, _COORDINATE),
        "shape": _number(body, "shape", 0, 1 << 32),
        "visible": _flag(body, "visible"),
    }


def _monitors(body: dict[str, Any]) -> dict[str, Any]:
    rows = body.get("monitors")
    if not isinstance(rows, list) or not 1 <= len(rows) <= MAX_MONITORS:
        raise MessageError(f"screen.monitors: 'monitors' must list 1 to {MAX_MONITORS}")
    monitors = [_monitor(row) for row in rows]
    return {
        "monitors": monitors,
        "selected": _number(body, "selected", 0, len(rows) + 1),
    }


def _monitor(row: Any) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise MessageError("screen.monitors: a monitor must be an object")
    row = {"t": "screen.monitors", **row}
    return {
        "index": _number(row, "index", 1, MAX_MONITORS + 1),
        "x": _number(row, "x", -_COORDINATE, _COORDINATE),
        "y": _number(row, "y", -_COORDINATE, _COORDINATE),
        "width": _number(row, "width", 1, _SIZE),
        "height": _number(row, "height", 1, _SIZE),
        "primary": _flag(row, "primary"),
    }


def _format(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "codec": _text(body, "codec", 64),
        "width": _number(body, "width", 1, _SIZE),
        "height": _number(body, "height", 1, _SIZE),
        "monitor": _number(body, "monitor", 0, MAX_MONITORS + 1),
    }


_SCREEN: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "answer": _answer,
    "screen.state": _state,
    "refused": _refused,
    "cursor": _cursor,
    "screen.monitors": _monitors,
    "screen.format": _format,
}


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name)
    if not isinstance(value, bool):
        raise MessageError(f"{body['t']}: '{name}' must be true or false")
    return value


def _number(body: dict[str, Any], name: str, lowest: int, above: int) -> int:
    value = body.get(name)
    if type(value) is not int or not lowest <= value < above:
        raise MessageError(f"{body['t']}: '{name}' must be a whole number in range")
    return value


def _action(body: dict[str, Any]) -> str:
    value = body.get("what")
    if value not in ("view", "control"):
        raise MessageError(f"{body['t']}: 'what' must be view or control")
    return str(value)
