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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._errors import MessageError

__all__ = [
    "ACTIONS",
    "MAX_MESSAGE_BYTES",
    "Chat",
    "Delivered",
    "End",
    "Hold",
    "Incoming",
    "Key",
    "MouseButton",
    "MouseMove",
    "MouseWheel",
    "Policy",
    "Release",
    "Request",
    "ScreenAck",
    "ScreenRefresh",
    "ScreenSelect",
    "ScreenStop",
    "Sequence",
    "TechnicianHello",
    "Text",
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
ACTIONS = ("view", "control")
"""What a technician may ask for on the screen (docs/screen.md)."""
POLICY_CHARS = 4096
KEY_CHARS = 32
TEXT_CHARS = 1000
MAX_COORDINATE = 65535
MAX_NOTCHES = 20
MAX_MONITOR = 64
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


@dataclass(frozen=True)
class Policy:
    """The site's signed session policy (docs/screen.md); verified by the caller."""

    token: str


@dataclass(frozen=True)
class Request:
    """The technician asks to view the screen or to control it."""

    id: str
    what: str
    """``view`` or ``control``."""


@dataclass(frozen=True)
class ScreenStop:
    """The technician stops control (``control``) or everything (``view``)."""

    what: str


@dataclass(frozen=True)
class ScreenSelect:
    """Show one monitor (1..n) or all of them (0)."""

    monitor: int


@dataclass(frozen=True)
class ScreenRefresh:
    """The console lost its picture (a decoder error): send it whole again,
    from a key frame."""


@dataclass(frozen=True)
class ScreenAck:
    """The picture message ``seq`` was drawn by the console."""

    seq: int


@dataclass(frozen=True)
class MouseMove:
    """The pointer goes to picture pixel (x, y)."""

    x: int
    y: int


@dataclass(frozen=True)
class MouseButton:
    """A button (1 left, 2 middle, 3 right) pressed or released at (x, y)."""

    x: int
    y: int
    button: int
    down: bool


@dataclass(frozen=True)
class MouseWheel:
    """Wheel notches at (x, y); dy > 0 scrolls down, dx > 0 right."""

    x: int
    y: int
    dx: int
    dy: int


@dataclass(frozen=True)
class Key:
    """A key by its DOM ``KeyboardEvent.key`` value, pressed or released."""

    key: str
    code: str
    down: bool


@dataclass(frozen=True)
class Text:
    """Characters to type, as typed on the technician's keyboard layout."""

    text: str


@dataclass(frozen=True)
class Sequence:
    """A special key sequence by name (``ctrl-alt-del``, ...)."""

    name: str


@dataclass(frozen=True)
class Release:
    """Release every key and button the technician holds."""


Input = MouseMove | MouseButton | MouseWheel | Key | Text | Sequence | Release
"""Messages that drive the customer's mouse and keyboard."""

Incoming = (
    TechnicianHello
    | Chat
    | Delivered
    | Hold
    | Transfer
    | End
    | Policy
    | Request
    | ScreenStop
    | ScreenSelect
    | ScreenAck
    | ScreenRefresh
    | Input
    | Unknown
)


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
    screen = _SCREEN.get(kind)
    if screen is not None:
        return screen(body)
    return Unknown(kind[:_TYPE_SHOWN])


def _request(body: dict[str, Any]) -> Request:
    return Request(_id(body), _action(body))


def _mouse_button(body: dict[str, Any]) -> MouseButton:
    x, y = _point(body)
    return MouseButton(x, y, _int(body, "button", 1, 3), _bool(body, "down"))


def _mouse_wheel(body: dict[str, Any]) -> MouseWheel:
    x, y = _point(body)
    dx = _int(body, "dx", -MAX_NOTCHES, MAX_NOTCHES, 0)
    dy = _int(body, "dy", -MAX_NOTCHES, MAX_NOTCHES, 0)
    return MouseWheel(x, y, dx, dy)


def _key(body: dict[str, Any]) -> Key:
    key = _text(body, "key", KEY_CHARS)
    if not key:
        raise MessageError("key: 'key' is empty")
    return Key(key, _text(body, "code", KEY_CHARS, ""), _bool(body, "down"))


_SCREEN: dict[str, Callable[[dict[str, Any]], Incoming]] = {
    "policy": lambda body: Policy(_text(body, "token", POLICY_CHARS)),
    "request": _request,
    "screen.stop": lambda body: ScreenStop(_action(body)),
    "screen.select": lambda body: ScreenSelect(_int(body, "monitor", 0, MAX_MONITOR)),
    "screen.ack": lambda body: ScreenAck(_int(body, "seq", 0, 0xFFFFFFFF)),
    "screen.refresh": lambda body: ScreenRefresh(),
    "mouse.move": lambda body: MouseMove(*_point(body)),
    "mouse.button": _mouse_button,
    "mouse.wheel": _mouse_wheel,
    "key": _key,
    "text": lambda body: Text(_text(body, "text", TEXT_CHARS)),
    "sequence": lambda body: Sequence(_text(body, "name", KEY_CHARS)),
    "release": lambda body: Release(),
}


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


def _int(
    body: dict[str, Any], name: str, lowest: int, highest: int, default: Any = None
) -> int:
    value = body.get(name, default)
    # bool is an int in Python; JSON true is not a number here.
    if type(value) is not int or not lowest <= value <= highest:
        raise MessageError(
            f"{body['t']}: '{name}' must be a whole number from {lowest} to {highest}"
        )
    return value


def _bool(body: dict[str, Any], name: str) -> bool:
    value = body.get(name)
    if not isinstance(value, bool):
        raise MessageError(f"{body['t']}: '{name}' must be true or false")
    return value


def _point(body: dict[str, Any]) -> tuple[int, int]:
    return (
        _int(body, "x", 0, MAX_COORDINATE),
        _int(body, "y", 0, MAX_COORDINATE),
    )


def _action(body: dict[str, Any]) -> str:
    value = body.get("what")
    if value not in ACTIONS:
        raise MessageError(f"{body['t']}: 'what' must be one of {', '.join(ACTIONS)}")
    return str(value)


def _id(body: dict[str, Any]) -> str:
    value = body.get("id")
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise MessageError(f"{body['t']}: 'id' is not a valid id")
    return value
