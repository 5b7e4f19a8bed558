"""Channel messages as the technician sees them (docs/sessions.md, "Messages
inside the channel"): what the customer's applet may send, read strictly.

The applet keeps its own reader of the technician's messages
(``lifebuoy.applet._messages``); each end parses what its peer sends.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ._errors import MessageError

__all__ = ["Chat", "CustomerHello", "Delivered", "End", "Incoming", "Unknown", "parse"]

MAX_MESSAGE_BYTES = 64 << 10
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


Incoming = CustomerHello | Chat | Delivered | End | Unknown


def parse(data: bytes) -> Incoming:
    """Read one message from the customer's applet."""
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
