"""Sealing and opening field values under the organizations' data keys.

A sealed value is text: ``lbv1$<data key id>$<base64url(nonce || ciphertext)>``.
The associated data binds it to the organization and to the field it belongs
to, so a ciphertext copied into another row of another organization or into
another column does not open.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import transaction

from .errors import DecryptionFailed
from .keys import MasterKey, new_data_key, unwrap, wrap
from .models import DataKey

__all__ = [
    "PREFIX",
    "check_master_key",
    "ensure_master_key",
    "open_value",
    "rotate_master_key",
    "seal",
]

logger = logging.getLogger(__name__)

PREFIX = "lbv1$"
_NONCE_BYTES = 12
_lock = threading.Lock()
_master: MasterKey | None = None
_ciphers: dict[str, AESGCM] = {}
_active: dict[int | None, str] = {}


def master_key_path() -> Path:
    return settings.LIFEBUOY.master_key_file


def master_key() -> MasterKey:
    global _master
    with _lock:
        if _master is None:
            _master = MasterKey.read(master_key_path())
        return _master


def forget_keys() -> None:
    """Drop every cached key (after a rotation, and between tests)."""
    global _master
    with _lock:
        _master = None
        _ciphers.clear()
        _active.clear()


def ensure_master_key() -> bool:
    """Create the master key file if there is none; True when one was made."""
    path = master_key_path()
    if path.exists():
        return False
    MasterKey.generate().write(path)
    logger.info("created master key file %s", path)
    return True


def check_master_key() -> int:
    """Open every stored data key; raise a clear ``VaultError`` if one fails.

    Returns the number of data keys checked. Run at start-up so that a wrong
    or missing key file stops the site before it serves anything.
    """
    master = master_key()
    count = 0
    for row in DataKey.objects.all().iterator():
        unwrap(master, row.master_key_id, row.key_id, bytes(row.wrapped))
        count += 1
    return count


def _cipher(key_id: str) -> AESGCM:
    cipher = _ciphers.get(key_id)
    if cipher is not None:
        return cipher
    try:
        row = DataKey.objects.get(key_id=key_id)
    except DataKey.DoesNotExist as exc:
        raise DecryptionFailed(f"no data key {key_id} in this database") from exc
    secret = unwrap(master_key(), row.master_key_id, row.key_id, bytes(row.wrapped))
    cipher = AESGCM(secret)
    _ciphers[key_id] = cipher
    return cipher


def _active_key_id(organization_id: int | None) -> str:
    key_id = _active.get(organization_id)
    if key_id is not None:
        return key_id
    row = (
        DataKey.objects.filter(organization_id=organization_id, active=True)
        .order_by("-created_at")
        .first()
    )
    key_id = row.key_id if row else create_data_key(organization_id)
    _active[organization_id] = key_id
    return key_id


def ensure_data_key(organization_id: int | None) -> str:
    """The organization's active data key, created if it has none."""
    return _active_key_id(organization_id)


def create_data_key(organization_id: int | None) -> str:
    """Make a new active data key for the organization, retiring the old one."""
    master = master_key()
    key_id = secrets.token_hex(8)
    with transaction.atomic():
        DataKey.objects.filter(organization_id=organization_id, active=True).update(
            active=False
        )
        DataKey.objects.create(
            key_id=key_id,
            organization_id=organization_id,
            master_key_id=master.key_id,
            wrapped=wrap(master, key_id, new_data_key()),
        )
    _active.pop(organization_id, None)
    logger.info("created data key %s for organization %s", key_id, organization_id)
    return key_id


def _aad(organization_id: int | None, purpose: str) -> bytes:
    return f"lifebuoy {organization_id} {purpose}".encode()


def seal(organization_id: int | None, purpose: str, plaintext: str) -> str:
    """Encrypt ``plaintext`` for one organization and one purpose (a field)."""
    key_id = _active_key_id(organization_id)
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _cipher(key_id).encrypt(
        nonce, plaintext.encode("utf-8"), _aad(organization_id, purpose)
    )
    body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
    return f"{PREFIX}{key_id}${body}"


def open_value(organization_id: int | None, purpose: str, token: str) -> str:
    """Decrypt a value made by ``seal`` with the same organization and purpose."""
    try:
        key_id, body = token.removeprefix(PREFIX).split("$", 1)
        blob = base64.urlsafe_b64decode(body.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise DecryptionFailed("not a sealed value") from exc
    try:
        plain = _cipher(key_id).decrypt(
            blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _aad(organization_id, purpose)
        )
    except InvalidTag as exc:
        raise DecryptionFailed(f"value under data key {key_id} does not open") from exc
    return plain.decode("utf-8")


def rotate_master_key() -> tuple[str, str]:
    """Rewrap every data key under a new master key and replace the key file.

    The old file is kept beside the new one as ``master.key.<old id>.retired``
    until the operator removes it. Returns (old id, new id).
    """
    path = master_key_path()
    old = master_key()
    new = MasterKey.generate()
    pending = path.with_name(path.name + ".new")
    new.write(pending)

    with transaction.atomic():
        for row in DataKey.objects.select_for_update().all():
            secret = unwrap(old, row.master_key_id, row.key_id, bytes(row.wrapped))
            row.wrapped = wrap(new, row.key_id, secret)
            row.master_key_id = new.key_id
            row.save(update_fields=["wrapped", "master_key_id"])

    os.replace(path, path.with_name(f"{path.name}.{old.key_id}.retired"))
    os.replace(pending, path)
    forget_keys()
    logger.info("rotated master key %s -> %s", old.key_id, new.key_id)
    return old.key_id, new.key_id
