"""Master key files and the wrapping of data keys (no Django here)."""

from __future__ import annotations

import base64
import dataclasses
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import MasterKeyMismatch, MasterKeyMissing

__all__ = ["MasterKey", "new_data_key", "unwrap", "wrap"]

_HEADER = "lifebuoy-master-key v1"
_NONCE_BYTES = 12


@dataclasses.dataclass(frozen=True, repr=False)
class MasterKey:
    key_id: str
    """Short public name of the key, stored beside everything it wraps."""
    secret: bytes
    """The 32 key bytes; never logged (repr hides them)."""

    def __repr__(self) -> str:
        return f"MasterKey({self.key_id})"

    @classmethod
    def generate(cls) -> MasterKey:
        return cls(key_id=secrets.token_hex(4), secret=AESGCM.generate_key(256))

    @classmethod
    def read(cls, path: Path) -> MasterKey:
        try:
            text = path.read_text(encoding="ascii")
        except FileNotFoundError as exc:
            raise MasterKeyMissing(
                f"master key file {path} is missing: restore it from your backup; "
                "without it the encrypted data cannot be read"
            ) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise MasterKeyMissing(
                f"master key file {path} is unreadable: {exc}"
            ) from exc

        parts = text.split()
        if len(parts) != 4 or " ".join(parts[:2]) != _HEADER:
            raise MasterKeyMismatch(f"{path} is not a Lifebuoy master key file")
        try:
            secret = base64.b64decode(parts[3], validate=True)
        except ValueError as exc:
            raise MasterKeyMismatch(f"{path}: the key is not valid base64") from exc
        if len(secret) != 32:
            raise MasterKeyMismatch(f"{path}: the key must be 32 bytes")
        return cls(key_id=parts[2], secret=secret)

    def write(self, path: Path) -> None:
        """Write the key to ``path`` atomically, readable by the owner only."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        encoded = base64.b64encode(self.secret).decode("ascii")
        temporary = path.with_name(path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(f"{_HEADER} {self.key_id} {encoded}\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)


def new_data_key() -> bytes:
    return AESGCM.generate_key(256)


def _wrap_aad(data_key_id: str, master_key_id: str) -> bytes:
    return f"lifebuoy data key {data_key_id} under {master_key_id}".encode()


def wrap(master: MasterKey, data_key_id: str, data_key: bytes) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    aad = _wrap_aad(data_key_id, master.key_id)
    return nonce + AESGCM(master.secret).encrypt(nonce, data_key, aad)


def unwrap(
    master: MasterKey, master_key_id: str, data_key_id: str, blob: bytes
) -> bytes:
    if master_key_id != master.key_id:
        raise MasterKeyMismatch(
            f"data key {data_key_id} is wrapped by master key {master_key_id}, "
            f"but the master key file holds {master.key_id}"
        )
    nonce, wrapped = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
    try:
        return AESGCM(master.secret).decrypt(
            nonce, wrapped, _wrap_aad(data_key_id, master_key_id)
        )
    except InvalidTag as exc:
        raise MasterKeyMismatch(
            f"master key {master.key_id} cannot open data key {data_key_id}: "
            "the key file does not belong to this database"
        ) from exc
