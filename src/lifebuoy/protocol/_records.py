"""The record layer: sealing and opening frames after the handshake.

A ``Sender`` numbers, encrypts and keeps frames until the peer acknowledges
them; a ``Receiver`` checks order and authenticity. Sequenced frames (data,
key update, close) share one sequence space per direction and are resent after
a transport change; control frames (ack, resume) have their own counter and key
and are never resent.
"""

from __future__ import annotations

import logging
from collections import deque

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lifebuoy._memory import uninitialized

from ._errors import (
    AuthenticationFailed,
    LimitReached,
    MalformedFrame,
    OutOfOrder,
    Replayed,
    ResumeFailed,
)
from ._keys import DirectionKeys, KeyChain
from ._wire import HEADER_SIZE, TAG_SIZE, FrameType, Header, Limits, Role, nonce

logger = logging.getLogger(__name__)

Sealed = memoryview
"""A frame this party sealed: its own memory, writable, never shared."""


class Sender:
    """Seals this party's frames and keeps the unacknowledged ones."""

    def __init__(
        self, role: Role, version: int, keys: DirectionKeys, limits: Limits
    ) -> None:
        self._role = role
        self._version = version
        self._chain = keys.data
        self._control = keys.control
        self._limits = limits
        self.next_sequence = 0
        self.acked = 0
        self._control_counter = 0
        self._key_frames = 0
        self._key_bytes = 0
        self._unacked: deque[tuple[int, Sealed]] = deque()
        self.unacked_bytes = 0

    def room_for_data(self) -> bool:
        """Whether one more data frame fits in the sequence space."""
        return self.next_sequence + 2 < self._limits.max_sequence

    def seal_data(self, payload: bytes, ack: int) -> list[Sealed]:
        """A data frame, preceded by a key update when the key is used up."""
        frames = []
        if (
            self._key_frames + 1 >= self._limits.frames_per_key
            or self._key_bytes + len(payload) > self._limits.bytes_per_key
        ):
            frames.append(self.seal(FrameType.KEY_UPDATE, b"", ack))
        if not self.room_for_data():
            raise LimitReached("sequence numbers used up")
        frames.append(self.seal(FrameType.DATA, payload, ack))
        self._key_bytes += len(payload)
        return frames

    def seal(self, kind: FrameType, payload: bytes, ack: int) -> Sealed:
        """Encrypt one sequenced frame and keep it until acknowledged."""
        sequence = self.next_sequence
        if sequence >= self._limits.max_sequence or (
            self._key_frames >= self._limits.frames_per_key
        ):
            raise LimitReached("no sequence number or key use left")
        header = Header(
            self._version, kind, self._role, self._chain.epoch % 256, sequence, ack
        )
        frame = _encrypt(self._chain.aead, sequence, header, payload)

        self.next_sequence += 1
        self._key_frames += 1
        self._unacked.append((sequence, frame))
        self.unacked_bytes += len(frame)
        if kind is FrameType.KEY_UPDATE:
            self._chain = self._chain.advance()
            self._key_frames = self._key_bytes = 0
            logger.debug("send key updated to epoch %d", self._chain.epoch)
        return frame

    def seal_control(self, kind: FrameType, ack: int) -> Sealed | None:
        """An acknowledgement or resume frame; None once counters are used up."""
        counter = self._control_counter
        if counter >= self._limits.max_sequence:
            return None
        self._control_counter += 1
        header = Header(self._version, kind, self._role, 0, counter, ack)
        return _encrypt(self._control, counter, header, b"")

    def acknowledge(self, ack: int) -> int:
        """Forget frames the peer has received; return how many bytes that freed."""
        if ack > self.next_sequence:
            raise MalformedFrame(f"ack {ack} for frames never sent")
        freed = 0
        while self._unacked and self._unacked[0][0] < ack:
            freed += len(self._unacked.popleft()[1])
        self.unacked_bytes -= freed
        self.acked = max(self.acked, ack)
        return freed

    def resume_from(self, ack: int) -> list[Sealed]:
        """Apply the peer's resume and return every frame it has not received."""
        if ack < self.acked or ack > self.next_sequence:
            raise ResumeFailed(
                f"peer resumes at {ack}; acknowledged {self.acked}, "
                f"sent {self.next_sequence}"
            )
        self.acknowledge(ack)
        return [frame for _, frame in self._unacked]


class Receiver:
    """Checks and opens the peer's frames."""

    def __init__(self, keys: DirectionKeys, limits: Limits) -> None:
        self._chain: KeyChain = keys.data
        self._control = keys.control
        self._limits = limits
        self.next_sequence = 0
        self._last_control = -1
        self._key_frames = 0
        self._key_bytes = 0

    def open(self, header: Header, frame: memoryview) -> bytes:
        """Check order and limits, then decrypt a sequenced frame."""
        sequence = header.sequence
        if sequence < self.next_sequence:
            raise Replayed(f"frame {sequence} already received")
        if sequence > self.next_sequence:
            raise OutOfOrder(f"frame {sequence} while {self.next_sequence} is due")
        if sequence >= self._limits.max_sequence:
            raise LimitReached("peer went past the last sequence number")
        if self._key_frames >= self._limits.frames_per_key:
            raise LimitReached("peer used a key past its frame limit")
        if header.epoch != self._chain.epoch % 256:
            raise AuthenticationFailed(f"frame for key epoch {header.epoch}")

        payload = _decrypt(self._chain.aead, sequence, frame)
        if header.type is FrameType.DATA:
            self._key_bytes += len(payload)
            if self._key_bytes > self._limits.bytes_per_key:
                raise LimitReached("peer used a key past its byte limit")
        self.next_sequence += 1
        self._key_frames += 1
        return payload

    def open_control(self, header: Header, frame: memoryview) -> None:
        """Check the counter and authenticate an acknowledgement or resume."""
        if header.sequence <= self._last_control:
            raise Replayed(f"control frame {header.sequence} already received")
        if header.epoch != 0:
            raise MalformedFrame("control frame with a key epoch")
        if _decrypt(self._control, header.sequence, frame):
            raise MalformedFrame("control frame with a payload")
        self._last_control = header.sequence

    def update_key(self) -> None:
        """Switch to the next data key after the peer's key update."""
        self._chain = self._chain.advance()
        self._key_frames = self._key_bytes = 0
        logger.debug("receive key updated to epoch %d", self._chain.epoch)


def _encrypt(aead: AESGCM, counter: int, header: Header, payload: bytes) -> Sealed:
    # Every byte of the frame is written here: no need to zero it first.
    frame = uninitialized(HEADER_SIZE + len(payload) + TAG_SIZE)
    aad = header.pack()
    frame[:HEADER_SIZE] = aad
    aead.encrypt_into(nonce(counter), payload, aad, frame[HEADER_SIZE:])
    return frame


def _decrypt(aead: AESGCM, counter: int, frame: memoryview) -> bytes:
    try:
        return aead.decrypt(nonce(counter), frame[HEADER_SIZE:], frame[:HEADER_SIZE])
    except InvalidTag:
        raise AuthenticationFailed("frame failed authentication") from None
