"""Key certificates: the site's signature over one ephemeral X25519 key.

Layout (docs/protocol.md, "Key certificates"), all integers big-endian::

    magic "LBKC" | u8 format=1 | u8 max_version | u8 role | u8 reserved=0
    | u64 issued_at | u64 expires_at | 32 bytes X25519 public key
    | u8 len + key_id | u8 len + session_id | u8 len + participant_id
    | 64 bytes Ed25519 signature over CONTEXT + everything before it
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ._errors import BadCertificate, CertificateExpired
from ._wire import VERSION, Role

MAGIC = b"LBKC"
FORMAT = 1
CONTEXT = b"Lifebuoy key certificate\x00"
"""Prefix of the signed bytes, so a site key signature can mean nothing else."""
CLOCK_SKEW = 300
"""Seconds of clock difference tolerated at both ends of the validity period."""
SIGNATURE_SIZE = 64
_FIXED = struct.Struct(">4sBBBBQQ32s")

SiteKeys = Mapping[str, Ed25519PublicKey]
"""Trusted site signing keys by key id (two may be valid during a rotation)."""


@dataclass(frozen=True)
class KeyCertificate:
    """A verified key certificate."""

    max_version: int
    """Highest protocol version the holder speaks."""
    role: Role
    """Role of the holder in the session."""
    issued_at: int
    """Unix time (seconds) the certificate was issued."""
    expires_at: int
    """Unix time (seconds) from which the certificate is no longer valid."""
    public_key: bytes
    """The holder's ephemeral X25519 public key (32 bytes)."""
    key_id: str
    """Id of the site key that signed the certificate."""
    session_id: str
    """The session the key is for."""
    participant_id: str
    """Who holds the key (the site's id for the technician or the customer)."""
    encoded: bytes
    """The certificate exactly as issued."""


def _text(value: str, what: str) -> bytes:
    raw = value.encode()
    if not 1 <= len(raw) <= 255:
        raise ValueError(f"{what} must be 1 to 255 bytes of UTF-8")
    return bytes([len(raw)]) + raw


def issue_key_certificate(
    signing_key: Ed25519PrivateKey,
    key_id: str,
    *,
    session_id: str,
    role: Role,
    participant_id: str,
    public_key: bytes,
    issued_at: int,
    expires_at: int,
    max_version: int = VERSION,
) -> bytes:
    """Sign a key certificate for one participant's ephemeral X25519 key."""
    if len(public_key) != 32:
        raise ValueError("an X25519 public key is 32 bytes")
    if not 0 <= issued_at < expires_at < 1 << 64:
        raise ValueError("need 0 <= issued_at < expires_at < 2**64")
    if not 1 <= max_version <= 255:
        raise ValueError("max_version must fit in one byte")

    body = _FIXED.pack(
        MAGIC, FORMAT, max_version, Role(role), 0, issued_at, expires_at, public_key
    )
    body += _text(key_id, "key_id") + _text(session_id, "session_id")
    body += _text(participant_id, "participant_id")
    return body + signing_key.sign(CONTEXT + body)


def verify_key_certificate(
    data: bytes, site_keys: SiteKeys, now: float, *, skew: float = CLOCK_SKEW
) -> KeyCertificate:
    """Check signature and validity period; return the certificate's contents.

    The caller still checks session, role and version against its own view.
    """
    cert, body = _decode(bytes(data))
    site_key = site_keys.get(cert.key_id)
    if site_key is None:
        raise BadCertificate(f"certificate signed by unknown key {cert.key_id!r}")
    try:
        site_key.verify(data[len(body) :], CONTEXT + body)
    except InvalidSignature:
        raise BadCertificate("certificate signature does not verify") from None

    if now < cert.issued_at - skew:
        raise CertificateExpired("certificate not valid yet")
    if now >= cert.expires_at + skew:
        raise CertificateExpired("certificate expired")
    return cert


def _decode(data: bytes) -> tuple[KeyCertificate, bytes]:
    if len(data) < _FIXED.size + 3 + SIGNATURE_SIZE:
        raise BadCertificate("certificate truncated")
    magic, fmt, max_version, role, reserved, issued, expires, key = _FIXED.unpack_from(
        data
    )
    if magic != MAGIC or fmt != FORMAT or reserved != 0 or max_version == 0:
        raise BadCertificate("not a format-1 key certificate")
    if role not in (Role.CUSTOMER, Role.TECHNICIAN):
        raise BadCertificate(f"unknown role {role}")

    texts: list[str] = []
    offset = _FIXED.size
    for _ in range(3):
        size = data[offset] if offset < len(data) else 0
        raw = data[offset + 1 : offset + 1 + size]
        if size == 0 or len(raw) != size:
            raise BadCertificate("certificate truncated")
        try:
            texts.append(raw.decode())
        except UnicodeDecodeError:
            raise BadCertificate("certificate text is not UTF-8") from None
        offset += 1 + size
    if len(data) != offset + SIGNATURE_SIZE:
        raise BadCertificate("certificate has the wrong length")

    key_id, session_id, participant_id = texts
    cert = KeyCertificate(
        max_version,
        Role(role),
        issued,
        expires,
        key,
        key_id,
        session_id,
        participant_id,
        encoded=data,
    )
    return cert, data[:offset]
