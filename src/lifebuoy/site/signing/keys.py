"""Using and rotating the site's signing keys."""

from __future__ import annotations

import base64
import logging
import secrets
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lifebuoy.site.audit.chain import record

from .models import SigningKey

__all__ = ["current_key", "public_keys", "rotate", "verification_keys"]

logger = logging.getLogger(__name__)


def _raw_public(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return base64.b64encode(raw).decode("ascii")


def _raw_private(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return base64.b64encode(raw).decode("ascii")


def _create() -> SigningKey:
    key = Ed25519PrivateKey.generate()
    row = SigningKey.objects.create(
        key_id=f"site-{secrets.token_hex(4)}",
        private_key=_raw_private(key),
        public_key=_raw_public(key),
    )
    logger.info("created signing key %s", row.key_id)
    return row


def current_key() -> tuple[str, Ed25519PrivateKey]:
    """The active key's id and private key; made on first use."""
    with transaction.atomic():
        row = SigningKey.objects.filter(active=True).first() or _create()
    private = base64.b64decode(row.private_key)
    return row.key_id, Ed25519PrivateKey.from_private_bytes(private)


def public_keys(now: datetime | None = None) -> dict[str, str]:
    """Public keys that verify now, base64 by key id (active and overlapping)."""
    now = now or timezone.now()
    rows = SigningKey.objects.filter(Q(active=True) | Q(verify_until__gt=now))
    return {row.key_id: row.public_key for row in rows}


def verification_keys(now: datetime | None = None) -> dict[str, Ed25519PublicKey]:
    return {
        key_id: Ed25519PublicKey.from_public_bytes(base64.b64decode(encoded))
        for key_id, encoded in public_keys(now).items()
    }


def rotate(overlap: timedelta) -> tuple[str | None, str]:
    """Start a new key; the old one keeps verifying for ``overlap``."""
    now = timezone.now()
    with transaction.atomic():
        old = SigningKey.objects.select_for_update().filter(active=True).first()
        if old is not None:
            old.active = False
            old.verify_until = now + overlap
            old.save(update_fields=["active", "verify_until"])
        new = _create()
        record(
            "signing_key.rotate",
            actor="lifebuoy command line",
            target=new.key_id,
            detail={
                "previous": old.key_id if old else None,
                "overlap_s": int(overlap.total_seconds()),
            },
        )
    return (old.key_id if old else None), new.key_id
