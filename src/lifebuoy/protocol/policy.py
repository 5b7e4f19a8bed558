"""Session policies: what the site lets one technician do in one session.

The contract is docs/screen.md, "The session policy". A policy is the text
``base64url(payload) "." base64url(signature)`` without padding; ``payload``
is compact UTF-8 JSON and the signature is Ed25519 by the site key ``kid``
over ``CONTEXT + payload``. Sans-I/O: the clock is an argument.

``verify_policy`` checks the format, the signature, the version and the
validity period; the caller checks that the policy names its session and
the participant whose key certificate opened the channel.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ._certificate import CLOCK_SKEW
from ._errors import PolicyError

__all__ = [
    "ACTIONS",
    "CONTEXT",
    "MAX_TOKEN_CHARS",
    "PolicyError",
    "SessionPolicy",
    "issue_policy",
    "verify_policy",
]

ACTIONS = frozenset({"view", "control"})
"""Every action a policy can allow; ``control`` includes ``view``."""
CONTEXT = b"Lifebuoy session policy\x00"
"""Prefix of the signed bytes, so a site key signature can mean nothing else."""
VERSION = 1
MAX_TOKEN_CHARS = 4096
"""Longer texts are refused before any decoding."""
MAX_ID_CHARS = 255
_SIGNATURE_SIZE = 64
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_ORDER = ("view", "control")


@dataclass(frozen=True)
class SessionPolicy:
    """A verified session policy."""

    key_id: str
    """Id of the site key that signed it."""
    session_id: str
    """The session it is for."""
    participant_id: str
    """The technician it is for (``technician-<user id>``)."""
    issued_at: int
    """Unix time (seconds) it was issued."""
    expires_at: int
    """Unix time (seconds) from which it is no longer valid."""
    allow: frozenset[str]
    """The known actions it allows (unknown ones are dropped)."""
    single_prompt: bool
    """Ask the customer once for everything allowed."""

    def allows(self, action: str) -> bool:
        """Whether ``action`` is allowed; ``control`` needs ``view`` too."""
        if action == "control":
            return {"view", "control"} <= self.allow
        return action == "view" and "view" in self.allow


def issue_policy(
    signing_key: Ed25519PrivateKey,
    key_id: str,
    *,
    session_id: str,
    participant_id: str,
    allow: Iterable[str],
    single_prompt: bool,
    issued_at: int,
    expires_at: int,
) -> str:
    """Sign a session policy; ``allow`` may hold only ``ACTIONS``."""
    actions = set(allow)
    if not actions <= ACTIONS:
        raise ValueError(f"unknown actions {sorted(actions - ACTIONS)}")
    for name, value in (
        ("key_id", key_id),
        ("session_id", session_id),
        ("participant_id", participant_id),
    ):
        if not 1 <= len(value) <= MAX_ID_CHARS:
            raise ValueError(f"{name} must be 1 to {MAX_ID_CHARS} characters")
    if not 0 <= issued_at < expires_at < 1 << 63:
        raise ValueError("need 0 <= issued_at < expires_at < 2**63")

    body = {
        "v": VERSION,
        "kid": key_id,
        "session": session_id,
        "participant": participant_id,
        "iat": issued_at,
        "exp": expires_at,
        "allow": [action for action in _ORDER if action in actions],
        "single_prompt": bool(single_prompt),
    }
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    signature = signing_key.sign(CONTEXT + payload)
    token = f"{_encode(payload)}.{_encode(signature)}"
    if len(token) > MAX_TOKEN_CHARS:
        raise ValueError("the policy is longer than MAX_TOKEN_CHARS")
    return token


def verify_policy(
    token: str,
    site_keys: Mapping[str, Ed25519PublicKey],
    now: float,
    *,
    skew: float = CLOCK_SKEW,
) -> SessionPolicy:
    """Check format, signature, version and validity period; raise PolicyError."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        raise PolicyError("not a session policy (too long or not text)")
    parts = token.split(".")
    if len(parts) != 2:
        raise PolicyError("not a session policy (two parts expected)")
    payload, signature = _decode(parts[0]), _decode(parts[1])
    if len(signature) != _SIGNATURE_SIZE:
        raise PolicyError("policy signature has the wrong length")

    # The key id is read before the signature is checked, only to pick the key.
    body = _json(payload)
    key_id = body.get("kid")
    site_key = site_keys.get(key_id) if isinstance(key_id, str) else None
    if site_key is None:
        raise PolicyError(f"policy signed by unknown key {str(key_id)[:64]!r}")
    try:
        site_key.verify(signature, CONTEXT + payload)
    except InvalidSignature:
        raise PolicyError("policy signature does not verify") from None

    policy = _fields(body)
    if now < policy.issued_at - skew:
        raise PolicyError("policy not valid yet")
    if now >= policy.expires_at + skew:
        raise PolicyError("policy expired")
    return policy


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    # Strict: the URL-safe alphabet, no padding, and the canonical encoding.
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise PolicyError("policy is not base64url without padding")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise PolicyError("policy is not base64url without padding") from None
    if _encode(data) != text:
        raise PolicyError("policy is not canonical base64url")
    return data


def _json(payload: bytes) -> dict[str, Any]:
    try:
        body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PolicyError("policy payload is not UTF-8 JSON") from None
    if not isinstance(body, dict):
        raise PolicyError("policy payload is not a JSON object")
    return body


def _fields(body: dict[str, Any]) -> SessionPolicy:
    """The signed payload's fields, typed; unknown extra fields are ignored."""
    if _integer(body, "v") != VERSION:
        raise PolicyError(f"policy version {body.get('v')!r} is not {VERSION}")
    allow = body.get("allow")
    if not isinstance(allow, list) or not all(isinstance(a, str) for a in allow):
        raise PolicyError("policy 'allow' must be a list of text")
    single_prompt = body.get("single_prompt")
    if not isinstance(single_prompt, bool):
        raise PolicyError("policy 'single_prompt' must be true or false")
    issued_at, expires_at = _integer(body, "iat"), _integer(body, "exp")
    if not 0 <= issued_at < expires_at:
        raise PolicyError("policy 'iat' and 'exp' are out of order")

    return SessionPolicy(
        key_id=_id(body, "kid"),
        session_id=_id(body, "session"),
        participant_id=_id(body, "participant"),
        issued_at=issued_at,
        expires_at=expires_at,
        allow=frozenset(allow) & ACTIONS,
        single_prompt=single_prompt,
    )


def _integer(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if type(value) is not int or not -(1 << 63) <= value < 1 << 63:
        raise PolicyError(f"policy '{name}' must be an integer")
    return value


def _id(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_ID_CHARS:
        raise PolicyError(f"policy '{name}' must be text of 1 to 255 characters")
    return value
