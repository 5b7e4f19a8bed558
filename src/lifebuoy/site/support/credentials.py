"""The applet's session credential: a site-signed token naming one session.

It is ``base64url(payload) + "." + base64url(signature)``, like a gateway
ticket, with its own ``typ`` and its own signing context, so that neither a
ticket nor a key certificate can pass for a credential, nor the other way
round. The payload (canonical JSON)::

    {"exp": 1760001200, "iat": 1760000000, "jti": "…", "kid": "site-1a2b3c4d",
     "sid": "s_…", "typ": "lifebuoy/applet-credential", "v": 1}

``exp`` bounds the first join only; afterwards the credential is good while
its session is open and it is still the session's latest credential (``jti``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature

from lifebuoy.site.signing.keys import current_key, verification_keys

from .errors import NotAuthenticated

__all__ = ["CREDENTIAL_TYPE", "Credential", "issue_credential", "read_credential"]

CREDENTIAL_TYPE = "lifebuoy/applet-credential"
_VERSION = 1
_CONTEXT = b"lifebuoy applet credential v1\x00"
_FIELDS = frozenset({"exp", "iat", "jti", "kid", "sid", "typ", "v"})
_MAX_LENGTH = 1024
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_TEXT = re.compile(r"[A-Za-z0-9_:.-]{1,64}")
_INVALID = "The session credential is not valid. Download the session file again."


@dataclass(frozen=True)
class Credential:
    """A credential whose signature verified (its times are not judged yet)."""

    session_id: str
    """Public id of the session it names."""
    jti: str
    """Its random id; only the session's latest credential is accepted."""
    issued_at: int
    """Issue time, seconds since the epoch."""
    expires_at: int
    """Last moment for the first join, seconds since the epoch."""


def new_jti() -> str:
    return secrets.token_urlsafe(16)


def issue_credential(session_id: str, jti: str, now: int, lifetime_s: int) -> str:
    key_id, private = current_key()
    payload = {
        "exp": now + lifetime_s,
        "iat": now,
        "jti": jti,
        "kid": key_id,
        "sid": session_id,
        "typ": CREDENTIAL_TYPE,
        "v": _VERSION,
    }
    body = _canonical(payload)
    signature = private.sign(_CONTEXT + body)
    return f"{_encode(body)}.{_encode(signature)}"


def read_credential(token: str) -> Credential:
    """Check form, type and signature against the site's published keys."""
    if len(token) > _MAX_LENGTH or token.count(".") != 1:
        raise NotAuthenticated(_INVALID)
    body, signature = (_decode(part) for part in token.split("."))
    payload = _parse(body)

    key = verification_keys().get(payload["kid"])
    if key is None:
        raise NotAuthenticated(_INVALID)
    try:
        key.verify(signature, _CONTEXT + body)
    except InvalidSignature:
        raise NotAuthenticated(_INVALID) from None
    return Credential(
        session_id=payload["sid"],
        jti=payload["jti"],
        issued_at=payload["iat"],
        expires_at=payload["exp"],
    )


def _parse(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise NotAuthenticated(_INVALID) from None
    if not isinstance(payload, dict) or payload.keys() != _FIELDS:
        raise NotAuthenticated(_INVALID)
    if payload["typ"] != CREDENTIAL_TYPE or payload["v"] != _VERSION:
        raise NotAuthenticated(_INVALID)
    for name in ("kid", "sid", "jti"):
        if not isinstance(payload[name], str) or not _TEXT.fullmatch(payload[name]):
            raise NotAuthenticated(_INVALID)
    for name in ("iat", "exp"):
        if type(payload[name]) is not int or not 0 <= payload[name] < 2**40:
            raise NotAuthenticated(_INVALID)
    if _canonical(payload) != body:
        raise NotAuthenticated(_INVALID)
    return payload


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("ascii")


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise NotAuthenticated(_INVALID)
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise NotAuthenticated(_INVALID) from None
