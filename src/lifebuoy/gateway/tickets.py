"""Gateway tickets: issued by the site, verified by the gateway without a database.

A ticket admits one participant, in one role, to one session, for a short
time. It is ``base64url(payload) + "." + base64url(signature)`` without
padding, where the payload is canonical JSON (sorted keys, no spaces, ASCII)::

    {"exp": 1760000120, "iat": 1760000000, "kid": "2025-10",
     "pid": "tech-17", "role": "technician", "sid": "s-4f1c...",
     "typ": "lifebuoy/gateway-ticket", "v": 1}

The Ed25519 signature covers a context string followed by the payload bytes,
so a ticket can never be confused with another object the same site key
signs (key certificates, for instance): both the ``typ`` field and the
signed context differ.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ._errors import TicketExpired, TicketInvalid

__all__ = [
    "MAX_TICKET_LENGTH",
    "TICKET_TYPE",
    "Role",
    "Ticket",
    "issue_ticket",
    "verify_ticket",
]

TICKET_TYPE = "lifebuoy/gateway-ticket"
TICKET_VERSION = 1
MAX_TICKET_LENGTH = 1024
CLOCK_SKEW = 30
"""Seconds a ticket's issue time may lie in the future (clock drift)."""

_SIGNING_CONTEXT = b"lifebuoy gateway ticket v1\x00"
_IDENTIFIER = re.compile(r"[A-Za-z0-9._:@~-]{1,128}")
_FIELDS = frozenset({"exp", "iat", "kid", "pid", "role", "sid", "typ", "v"})


class Role(enum.StrEnum):
    """Which end of a session a connection is."""

    CUSTOMER = "customer"
    TECHNICIAN = "technician"

    @property
    def other(self) -> Role:
        """The role at the other end."""
        return Role.TECHNICIAN if self is Role.CUSTOMER else Role.CUSTOMER


@dataclass(frozen=True, slots=True)
class Ticket:
    """A verified ticket."""

    key_id: str
    """Id of the site key that signed it."""
    session_id: str
    """The session it admits to."""
    role: Role
    """The role it admits as."""
    participant: str
    """Site-assigned id of the technician or customer it was issued to."""
    issued_at: int
    """Issue time, seconds since the epoch."""
    expires_at: int
    """First second at which it is no longer accepted."""


def issue_ticket(
    private_key: Ed25519PrivateKey,
    key_id: str,
    session_id: str,
    role: Role | str,
    participant: str,
    lifetime: float,
    now: float,
) -> str:
    """Sign a ticket; called by the site. ``now`` is seconds since the epoch."""
    for name, value in (("key_id", key_id), ("session_id", session_id)):
        _check_identifier(name, value)
    _check_identifier("participant", participant)
    if lifetime <= 0:
        raise ValueError("lifetime must be positive")

    payload = {
        "exp": int(now + lifetime),
        "iat": int(now),
        "kid": key_id,
        "pid": participant,
        "role": Role(role).value,
        "sid": session_id,
        "typ": TICKET_TYPE,
        "v": TICKET_VERSION,
    }
    body = _canonical(payload)
    signature = private_key.sign(_SIGNING_CONTEXT + body)
    return f"{_b64encode(body)}.{_b64encode(signature)}"


def verify_ticket(
    token: str, keys: Mapping[str, Ed25519PublicKey], now: float
) -> Ticket:
    """Check a ticket against the site's public keys by key id.

    Raises `TicketInvalid` for anything malformed or badly signed and
    `TicketExpired` for a good ticket past its time.
    """
    body, signature = _split(token)
    payload = _parse(body)

    key = keys.get(payload["kid"])
    if key is None:
        raise TicketInvalid("unknown key id")
    try:
        key.verify(signature, _SIGNING_CONTEXT + body)
    except InvalidSignature:
        raise TicketInvalid("bad signature") from None

    # Only a genuine ticket gets its times looked at.
    if payload["iat"] > now + CLOCK_SKEW or payload["exp"] <= payload["iat"]:
        raise TicketInvalid("issue time in the future or empty validity")
    if now >= payload["exp"]:
        raise TicketExpired("ticket expired")
    return Ticket(
        key_id=payload["kid"],
        session_id=payload["sid"],
        role=Role(payload["role"]),
        participant=payload["pid"],
        issued_at=payload["iat"],
        expires_at=payload["exp"],
    )


def _split(token: object) -> tuple[bytes, bytes]:
    if not isinstance(token, str) or len(token) > MAX_TICKET_LENGTH:
        raise TicketInvalid("not a ticket")
    parts = token.split(".")
    if len(parts) != 2:
        raise TicketInvalid("not a ticket")
    body, signature = (_b64decode(part) for part in parts)
    if len(signature) != 64:
        raise TicketInvalid("bad signature length")
    return body, signature


def _parse(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise TicketInvalid("payload is not JSON") from None
    if not isinstance(payload, dict) or payload.keys() != _FIELDS:
        raise TicketInvalid("payload has the wrong fields")
    if payload["typ"] != TICKET_TYPE or payload["v"] != TICKET_VERSION:
        raise TicketInvalid("not a gateway ticket of a known version")

    for name in ("kid", "sid", "pid"):
        value = payload[name]
        if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
            raise TicketInvalid(f"bad {name}")
    if payload["role"] not in {role.value for role in Role}:
        raise TicketInvalid("bad role")
    for name in ("iat", "exp"):
        value = payload[name]
        if type(value) is not int or not 0 <= value < 2**40:
            raise TicketInvalid(f"bad {name}")

    # One payload, one encoding: refuse equivalent but different bytes.
    if _canonical(payload) != body:
        raise TicketInvalid("payload is not canonical")
    return payload


def _check_identifier(name: str, value: str) -> None:
    if not _IDENTIFIER.fullmatch(value):
        raise ValueError(f"{name} must match {_IDENTIFIER.pattern}")


def _canonical(payload: Mapping[str, object]) -> bytes:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return text.encode("ascii")


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        raise TicketInvalid("bad base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise TicketInvalid("bad base64url") from None
