"""Frame layouts, constants and limits (docs/protocol.md, "Framing")."""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from ._errors import FrameTooLarge, MalformedFrame, UnexpectedFrame, VersionMismatch

VERSION = 1
"""The protocol version this package speaks."""
SUPPORTED_VERSIONS = (1,)
"""Versions offered in the hello, highest first."""
HELLO_FORMAT = 1
"""Version byte of commit and hello frames, fixed across protocol versions."""

HEADER = struct.Struct(">BBBBQQ")
HEADER_SIZE = HEADER.size
TAG_SIZE = 16
RANDOM_SIZE = 32
MAX_HANDSHAKE_FRAME = 4096


class Role(enum.IntEnum):
    """Which end of the session a participant is."""

    CUSTOMER = 1
    TECHNICIAN = 2

    @property
    def label(self) -> str:
        """The lowercase name used in key-derivation labels and certificates."""
        return self.name.lower()

    @property
    def peer(self) -> Role:
        """The other role."""
        return Role.TECHNICIAN if self is Role.CUSTOMER else Role.CUSTOMER


class FrameType(enum.IntEnum):
    """The frame type byte."""

    COMMIT = 1
    HELLO = 2
    FINISHED = 3
    DATA = 16
    KEY_UPDATE = 17
    CLOSE = 18
    ACK = 32
    RESUME = 33


SEQUENCED = frozenset({FrameType.DATA, FrameType.KEY_UPDATE, FrameType.CLOSE})
CONTROL = frozenset({FrameType.ACK, FrameType.RESUME})


@dataclass(frozen=True)
class Limits:
    """Sizes and counters that bound a channel; defaults are the v1 values."""

    max_payload: int = 1 << 20
    """Largest message (plaintext bytes in one data frame)."""
    retransmit_bytes: int = 8 << 20
    """Largest total size of sent frames not yet acknowledged."""
    frames_per_key: int = 1 << 32
    """Frames encrypted under one data key before it must be replaced."""
    bytes_per_key: int = 1 << 36
    """Plaintext bytes encrypted under one data key before it must be replaced."""
    max_sequence: int = (1 << 64) - 1
    """Sequence numbers and control counters stay below this value."""
    ack_frames: int = 16
    """Acknowledge at the latest after this many frames."""
    ack_bytes: int = 256 << 10
    """Acknowledge at the latest after this many bytes of frames."""

    def __post_init__(self) -> None:
        if self.frames_per_key < 4 or self.max_sequence < 4:
            raise ValueError("frames_per_key and max_sequence must be at least 4")
        if self.max_sequence > (1 << 64) - 1 or self.frames_per_key > 1 << 32:
            raise ValueError("max_sequence or frames_per_key above the v1 ceiling")
        if self.retransmit_bytes < self.ack_bytes + 2 * self.max_frame:
            raise ValueError("retransmit_bytes must exceed ack_bytes + 2 frames")
        if self.max_payload > self.bytes_per_key:
            raise ValueError("max_payload must not exceed bytes_per_key")

    @property
    def max_frame(self) -> int:
        """Largest frame accepted after the handshake."""
        return HEADER_SIZE + self.max_payload + TAG_SIZE


@dataclass(frozen=True)
class Header:
    """The 20-byte header of every frame after the handshake (also the AAD)."""

    version: int
    """Protocol version in use."""
    type: FrameType
    """Frame type."""
    sender: Role
    """Role of the party that sent the frame."""
    epoch: int
    """Data-key epoch modulo 256 (zero for control frames)."""
    sequence: int
    """Data sequence number, or control counter for control frames."""
    ack: int
    """Number of the peer's sequenced frames received so far."""

    def pack(self) -> bytes:
        """Encode the header."""
        return HEADER.pack(
            self.version, self.type, self.sender, self.epoch, self.sequence, self.ack
        )


def frame_type(frame: bytes | bytearray | memoryview) -> FrameType:
    """Read the type byte of any frame."""
    if len(frame) < 4:
        raise MalformedFrame("frame shorter than 4 bytes")
    try:
        return FrameType(frame[1])
    except ValueError:
        raise MalformedFrame(f"unknown frame type {frame[1]}") from None


def sender_role(frame: bytes | bytearray | memoryview) -> Role:
    """Read the sender role byte of any frame."""
    try:
        return Role(frame[2])
    except ValueError:
        raise MalformedFrame(f"unknown sender role {frame[2]}") from None


def parse_header(frame: memoryview, version: int, limits: Limits) -> Header:
    """Check size and version of a post-handshake frame and decode its header."""
    if len(frame) > limits.max_frame:
        raise FrameTooLarge(f"frame of {len(frame)} bytes")
    if len(frame) < HEADER_SIZE + TAG_SIZE:
        raise MalformedFrame(f"frame of {len(frame)} bytes is truncated")
    ver, _, _, epoch, sequence, ack = HEADER.unpack_from(frame)
    if ver != version:
        raise VersionMismatch(f"frame version {ver}, channel version {version}")
    kind = frame_type(frame)
    if kind not in SEQUENCED and kind not in CONTROL:
        raise UnexpectedFrame(f"{kind.name} frame after the handshake")
    return Header(ver, kind, sender_role(frame), epoch, sequence, ack)


def nonce(counter: int) -> bytes:
    """The 96-bit AES-GCM nonce: four zero bytes, then the counter."""
    return counter.to_bytes(12, "big")
