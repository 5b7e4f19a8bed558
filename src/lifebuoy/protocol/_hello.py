"""Handshake frame layouts: commit, hello and finished (docs/protocol.md)."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from ._errors import FrameTooLarge, MalformedFrame, VersionMismatch
from ._wire import HELLO_FORMAT, MAX_HANDSHAKE_FRAME, RANDOM_SIZE, FrameType, Role

SHORT_HEADER = struct.Struct(">BBBB")
COMMIT_SIZE = SHORT_HEADER.size + 32
FINISHED_SIZE = SHORT_HEADER.size + 32
MAX_OFFERED = 16


@dataclass(frozen=True)
class Hello:
    """A decoded hello frame."""

    sender: Role
    """Role byte of the frame header."""
    versions: tuple[int, ...]
    """Offered protocol versions, highest first."""
    random: bytes
    """32 fresh random bytes."""
    certificate: bytes
    """The sender's key certificate, not yet verified."""


def short_header(version: int, kind: FrameType, sender: Role) -> bytes:
    """The 4-byte header of handshake frames: version, type, sender, flags=0."""
    return SHORT_HEADER.pack(version, kind, sender, 0)


def encode_hello(
    sender: Role, versions: tuple[int, ...], random: bytes, certificate: bytes
) -> bytes:
    """Encode a hello frame."""
    return b"".join(
        (
            short_header(HELLO_FORMAT, FrameType.HELLO, sender),
            bytes([len(versions), *versions]),
            random,
            struct.pack(">H", len(certificate)),
            certificate,
        )
    )


def encode_commit(hello: bytes) -> bytes:
    """The customer's commit frame: SHA-256 of the hello it will send later."""
    header = short_header(HELLO_FORMAT, FrameType.COMMIT, Role.CUSTOMER)
    return header + hashlib.sha256(hello).digest()


def check_short_header(frame: bytes, version: int, size: int | None) -> None:
    """Size, version and flags checks shared by every handshake frame."""
    if len(frame) > MAX_HANDSHAKE_FRAME:
        raise FrameTooLarge(f"handshake frame of {len(frame)} bytes")
    if size is not None and len(frame) != size:
        raise MalformedFrame(f"handshake frame of {len(frame)} bytes, not {size}")
    if len(frame) < SHORT_HEADER.size:
        raise MalformedFrame("handshake frame truncated")
    if frame[0] != version:
        raise VersionMismatch(f"handshake frame version {frame[0]}, not {version}")
    if frame[3] != 0:
        raise MalformedFrame("handshake frame flags are not zero")


def decode_hello(frame: bytes) -> Hello:
    """Decode and check the layout of a hello frame."""
    check_short_header(frame, HELLO_FORMAT, None)
    offset = SHORT_HEADER.size
    count = frame[offset] if len(frame) > offset else 0
    versions = tuple(frame[offset + 1 : offset + 1 + count])
    if not 1 <= count <= MAX_OFFERED or len(versions) != count:
        raise MalformedFrame("hello offers no version")
    if 0 in versions or list(versions) != sorted(set(versions), reverse=True):
        raise MalformedFrame("hello versions must be distinct, non-zero, descending")

    offset += 1 + count
    random = frame[offset : offset + RANDOM_SIZE]
    offset += RANDOM_SIZE
    if len(frame) < offset + 2:
        raise MalformedFrame("hello truncated")
    (size,) = struct.unpack_from(">H", frame, offset)
    certificate = frame[offset + 2 :]
    if len(certificate) != size:
        raise MalformedFrame("hello certificate length does not match the frame")
    return Hello(Role(frame[2]), versions, random, certificate)
