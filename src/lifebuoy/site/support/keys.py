"""Reading an X25519 public key from JSON."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from .errors import BadInput

__all__ = ["x25519_public_key"]


def x25519_public_key(value: Any) -> bytes:
    """32 bytes from standard base64; BadInput for anything else."""
    if not isinstance(value, str) or len(value) > 64:
        raise BadInput("public_key must be a base64 X25519 public key (32 bytes).")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BadInput("public_key is not valid base64.") from None
    if len(raw) != 32:
        raise BadInput("public_key must be 32 bytes (an X25519 public key).")
    return raw
