"""The key schedule (docs/protocol.md, "Key schedule").

Every key is one HKDF-SHA256 call (extract then expand) with a distinct label,
so the browser can derive each with a single WebCrypto ``deriveBits``.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ._errors import BadPublicKey
from ._wire import Role

LABEL = b"lifebuoy/1 "
TRANSCRIPT_LABEL = b"lifebuoy/1 transcript"
CODE_LABEL = b"lifebuoy/1 comparison code"


def hkdf(ikm: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    """HKDF-SHA256 (RFC 5869), extract and expand."""
    kdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info)
    return kdf.derive(ikm)


def shared_secret(private_key: X25519PrivateKey, peer_public: bytes) -> bytes:
    """X25519 with the peer's key; low-order keys (all-zero result) are refused."""
    try:
        peer = X25519PublicKey.from_public_bytes(peer_public)
        secret = private_key.exchange(peer)
    except ValueError as exc:
        raise BadPublicKey("peer X25519 key gives no shared secret") from exc
    if not any(secret):
        raise BadPublicKey("peer X25519 key is of low order")
    return secret


def transcript_hash(commit: bytes, technician_hello: bytes, hello: bytes) -> bytes:
    """SHA-256 over the three handshake frames in the order they were sent."""
    digest = hashlib.sha256(TRANSCRIPT_LABEL)
    for frame in (commit, technician_hello, hello):
        digest.update(struct.pack(">I", len(frame)))
        digest.update(frame)
    return digest.digest()


def comparison_code(transcript: bytes) -> str:
    """Six digits shown at both ends, as "123 456"."""
    value = int.from_bytes(hashlib.sha256(CODE_LABEL + transcript).digest()[:8])
    digits = f"{value % 1_000_000:06d}"
    return f"{digits[:3]} {digits[3:]}"


def finished_mac(secret: bytes, transcript: bytes, role: Role, header: bytes) -> bytes:
    """The key-confirmation MAC a party puts in its finished frame."""
    key = hkdf(secret, transcript, LABEL + b"finished " + role.label.encode())
    return hmac.digest(key, header + transcript, "sha256")


@dataclass
class KeyChain:
    """The data keys of one direction: epoch n and the secret for epoch n+1."""

    secret: bytes
    epoch: int = 0
    aead: AESGCM = field(init=False)
    key: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.key = hkdf(self.secret, b"", LABEL + b"key")
        self.aead = AESGCM(self.key)

    def advance(self) -> KeyChain:
        """The chain after a key update; the old secret is forgotten by the caller."""
        return KeyChain(hkdf(self.secret, b"", LABEL + b"next"), self.epoch + 1)


@dataclass(frozen=True)
class DirectionKeys:
    """What one sender's frames are protected with."""

    data: KeyChain
    """Data keys (sequenced frames: data, key update, close)."""
    control: AESGCM
    """The control key (acknowledgements and resumes), never replaced."""
    control_key: bytes
    """Raw control key, kept for the test vectors."""


def direction_keys(secret: bytes, transcript: bytes, sender: Role) -> DirectionKeys:
    """Derive the keys protecting frames sent by ``sender``."""
    name = sender.label.encode()
    data = hkdf(secret, transcript, LABEL + b"data " + name)
    control = hkdf(secret, transcript, LABEL + b"control " + name)
    return DirectionKeys(KeyChain(data), AESGCM(control), control)
