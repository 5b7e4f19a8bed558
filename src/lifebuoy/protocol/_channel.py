"""The channel: handshake, record layer, acknowledgements, resume and close."""

from __future__ import annotations

import enum
import logging
import os
import struct
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ._certificate import KeyCertificate, SiteKeys, verify_key_certificate
from ._errors import (
    CertificateMismatch,
    ChannelClosedError,
    ChannelError,
    ErrorCode,
    LimitReached,
    MalformedFrame,
    Reflected,
    SendBufferFull,
    Truncated,
    UnexpectedFrame,
    UsageError,
)
from ._events import (
    ChannelClosed,
    Event,
    HandshakeComplete,
    MessageReceived,
    Resumed,
    SendCapacityAvailable,
)
from ._handshake import Handshake, HandshakeResult
from ._records import Receiver, Sealed, Sender
from ._wire import (
    HEADER_SIZE,
    SEQUENCED,
    SUPPORTED_VERSIONS,
    TAG_SIZE,
    FrameType,
    Header,
    Limits,
    Role,
    frame_type,
    parse_header,
    sender_role,
)

logger = logging.getLogger(__name__)

Frame = bytes | bytearray | memoryview
"""An outgoing frame: send it as one WebSocket binary message, do not modify it."""
_HANDSHAKE = frozenset({FrameType.COMMIT, FrameType.HELLO, FrameType.FINISHED})
_OVERHEAD = HEADER_SIZE + TAG_SIZE
_MAX_REASON = 256


class _Link(enum.Enum):
    UP = "up"
    DOWN = "down"
    RESUMING = "resuming"


class Channel:
    """One party's end of an end-to-end encrypted channel (sans-I/O)."""

    def __init__(
        self,
        *,
        role: Role,
        session_id: str,
        certificate: bytes,
        private_key: X25519PrivateKey,
        site_keys: SiteKeys,
        now: float,
        limits: Limits | None = None,
        versions: tuple[int, ...] = SUPPORTED_VERSIONS,
        randbytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        own = verify_key_certificate(certificate, site_keys, now)
        if own.role is not role or own.session_id != session_id:
            raise CertificateMismatch("own certificate is for another role or session")
        if own.public_key != private_key.public_key().public_bytes_raw():
            raise CertificateMismatch("own certificate is for another key")
        if own.max_version != versions[0]:
            raise CertificateMismatch("own certificate names another version")

        self.role = role
        self.limits = limits or Limits()
        self._handshake = Handshake(own, private_key, site_keys, versions, randbytes)
        self._result: HandshakeResult | None = None
        self._sender: Sender | None = None
        self._receiver: Receiver | None = None
        self._outgoing: list[Frame] = []
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._link = _Link.UP
        self._close_sent: tuple[int, str] | None = None
        self._closed = False
        self._refused = 0
        self._ack_frames = self._ack_bytes = 0

    # -- state -------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """Handshake complete and not closed: messages flow."""
        return self._result is not None and not self._closed

    @property
    def closed(self) -> bool:
        """The channel has ended; see the ``ChannelClosed`` event for why."""
        return self._closed

    @property
    def comparison_code(self) -> str | None:
        """The six-digit code, once the handshake is complete."""
        return self._result.comparison_code if self._result else None

    @property
    def peer_certificate(self) -> KeyCertificate | None:
        """The peer's verified certificate (role, participant), once complete."""
        return self._result.peer if self._result else None

    @property
    def send_capacity(self) -> int:
        """Largest message ``send_message`` accepts right now."""
        used = self._pending_bytes + (self._sender.unacked_bytes if self._sender else 0)
        room = self.limits.retransmit_bytes - used - 2 * _OVERHEAD
        return max(0, min(self.limits.max_payload, room))

    # -- application calls -------------------------------------------------

    def initiate(self) -> None:
        """Start the handshake (the customer sends its commit; no-op otherwise)."""
        self._outgoing.extend(self._handshake.start())

    def send_message(self, data: bytes) -> None:
        """Queue one message; raises ``SendBufferFull`` when it must wait."""
        if self._closed or self._close_sent is not None:
            raise ChannelClosedError("the channel is closed")
        if len(data) > self.limits.max_payload:
            raise UsageError(f"message of {len(data)} bytes exceeds max_payload")
        if len(data) > self.send_capacity:
            self._refused = len(data)
            raise SendBufferFull(f"{self.send_capacity} bytes free, {len(data)} asked")

        if self._sender is None:
            self._pending.append(bytes(data))
            self._pending_bytes += len(data) + _OVERHEAD
            return
        self._seal_message(data)

    def frames_to_send(self) -> list[Frame]:
        """Frames to write to the transport now, in order."""
        frames, self._outgoing = self._outgoing, []
        return frames

    def acknowledge(self) -> None:
        """Send an acknowledgement now if any received frame is unacknowledged."""
        if self._ack_frames and self._link is _Link.UP and not self._closed:
            self._queue_ack()

    def close(self, reason: str = "", code: int = ErrorCode.NORMAL) -> None:
        """Start an authenticated close; ``ChannelClosed`` follows the peer's reply."""
        if self._closed or self._close_sent is not None:
            return
        if self._sender is None:
            logger.info("channel closed before the handshake: %s", reason)
            self._closed = True
            return
        self._send_close(code, reason)

    def transport_lost(self) -> list[Event]:
        """The transport stopped; keep state for ``resume`` (or end the handshake)."""
        if self._closed:
            return []
        self._outgoing.clear()
        if self._result is None:
            return self._fail(Truncated("transport lost during the handshake"))
        logger.info("%s transport lost, waiting to resume", self.role.label)
        self._link = _Link.DOWN
        return []

    def resume(self) -> None:
        """On a new transport: send a resume stating what this party received."""
        if self._closed:
            raise ChannelClosedError("the channel is closed")
        if self._sender is None or self._receiver is None:
            raise UsageError("nothing to resume before the handshake completes")
        frame = self._sender.seal_control(
            FrameType.RESUME, self._receiver.next_sequence
        )
        if frame is None:
            raise LimitReached("control counter used up")
        self._outgoing = [frame]
        self._link = _Link.RESUMING
        self._ack_frames = self._ack_bytes = 0

    def abandon(self, reason: str = "transport not resumed") -> list[Event]:
        """Give up without an authenticated close (reported as truncated)."""
        if self._closed:
            return []
        self._closed = True
        self._outgoing.clear()
        logger.info("%s channel abandoned: %s", self.role.label, reason)
        return [ChannelClosed(ErrorCode.TRUNCATED, reason, clean=False, by_peer=False)]

    # -- receiving ---------------------------------------------------------

    def receive_frame(
        self, frame: bytes | bytearray | memoryview, now: float
    ) -> list[Event]:
        """Handle one frame from the transport; errors end the channel."""
        if self._closed:
            return []
        try:
            return self._receive(memoryview(frame), now)
        except ChannelError as exc:
            return self._fail(exc)

    def _receive(self, view: memoryview, now: float) -> list[Event]:
        kind = frame_type(view)
        if sender_role(view) is self.role:
            raise Reflected(f"{kind.name} frame sent by this party came back")
        if kind in _HANDSHAKE:
            if self._result is not None:
                raise UnexpectedFrame(f"{kind.name} frame after the handshake")
            return self._on_handshake(bytes(view), now)
        if self._result is None:
            raise UnexpectedFrame(f"{kind.name} frame before the handshake completed")

        header = parse_header(view, self._result.version, self.limits)
        logger.debug("received %s %d (%d bytes)", kind.name, header.sequence, len(view))
        if kind in SEQUENCED:
            return self._on_sequenced(header, view)
        return self._on_control(header, view)

    def _on_handshake(self, frame: bytes, now: float) -> list[Event]:
        replies, result = self._handshake.receive(frame, now)
        self._outgoing.extend(replies)
        if result is None:
            return []

        self._result = result
        self._sender = Sender(self.role, result.version, result.send, self.limits)
        self._receiver = Receiver(result.receive, self.limits)
        peer = result.peer
        logger.info(
            "%s channel open with %s %s (v%d)",
            self.role.label,
            peer.role.label,
            peer.participant_id,
            result.version,
        )
        pending, self._pending, self._pending_bytes = self._pending, [], 0
        for message in pending:
            self._seal_message(message)
        return [
            HandshakeComplete(
                result.comparison_code,
                peer.role.label,
                peer.participant_id,
                peer,
                result.version,
            )
        ]

    def _on_sequenced(self, header: Header, view: memoryview) -> list[Event]:
        receiver = self._records()[1]
        payload = receiver.open(header, view)
        events = self._on_ack(header.ack)
        self._ack_frames += 1
        self._ack_bytes += len(view)

        if header.type is FrameType.CLOSE:
            return events + self._on_close(payload)
        if header.type is FrameType.KEY_UPDATE:
            if payload:
                raise MalformedFrame("key update with a payload")
            receiver.update_key()
        else:
            events.append(MessageReceived(payload))
        if self._ack_frames >= self.limits.ack_frames or (
            self._ack_bytes >= self.limits.ack_bytes
        ):
            self.acknowledge()
        return events

    def _on_control(self, header: Header, view: memoryview) -> list[Event]:
        sender, receiver = self._records()
        receiver.open_control(header, view)
        if header.type is FrameType.ACK:
            return self._on_ack(header.ack)

        retransmit = sender.resume_from(header.ack)
        if self._link is not _Link.RESUMING:
            self.resume()
        own_resume = [f for f in self._outgoing if f[1] == FrameType.RESUME]
        self._outgoing = [*own_resume, *retransmit]
        self._link = _Link.UP
        logger.info("%s resumed, %d frames resent", self.role.label, len(retransmit))
        return [Resumed(len(retransmit)), *self._capacity_event()]

    def _on_ack(self, ack: int) -> list[Event]:
        if self._records()[0].acknowledge(ack):
            return self._capacity_event()
        return []

    def _capacity_event(self) -> list[Event]:
        if self._refused and self.send_capacity >= self._refused:
            self._refused = 0
            return [SendCapacityAvailable(self.send_capacity)]
        return []

    def _on_close(self, payload: bytes) -> list[Event]:
        if len(payload) < 2:
            raise MalformedFrame("close without a code")
        (code,) = struct.unpack_from(">H", payload)
        try:
            reason = payload[2:].decode()
        except UnicodeDecodeError:
            raise MalformedFrame("close reason is not UTF-8") from None

        if self._close_sent is None:
            self._send_close(ErrorCode.NORMAL, "")
            event = ChannelClosed(code, reason, clean=True, by_peer=True)
        else:
            own_code, own_reason = self._close_sent
            event = ChannelClosed(own_code, own_reason, clean=True, by_peer=False)
        self._closed = True
        logger.info("%s channel closed (code %d)", self.role.label, event.code)
        return [event]

    # -- sending -----------------------------------------------------------

    def _seal_message(self, data: bytes) -> None:
        sender, receiver = self._records()
        try:
            frames = sender.seal_data(data, receiver.next_sequence)
        except LimitReached as exc:
            self._fail(exc)
            raise
        self._queue(frames)

    def _send_close(self, code: int, reason: str) -> None:
        sender, receiver = self._records()
        text = reason.encode()[:_MAX_REASON].decode(errors="ignore")
        payload = struct.pack(">H", code) + text.encode()
        frame = sender.seal(FrameType.CLOSE, payload, receiver.next_sequence)
        self._close_sent = (code, text)
        self._queue([frame])

    def _queue(self, frames: list[Sealed]) -> None:
        self._ack_frames = self._ack_bytes = 0
        if self._link is _Link.UP:
            self._outgoing.extend(frames)

    def _queue_ack(self) -> None:
        sender, receiver = self._records()
        frame = sender.seal_control(FrameType.ACK, receiver.next_sequence)
        if frame is not None:
            self._outgoing.append(frame)
            self._ack_frames = self._ack_bytes = 0

    def _records(self) -> tuple[Sender, Receiver]:
        if self._sender is None or self._receiver is None:
            raise UsageError("the handshake is not complete")
        return self._sender, self._receiver

    def _fail(self, exc: ChannelError) -> list[Event]:
        code = exc.code if exc.code is not None else ErrorCode.MALFORMED_FRAME
        logger.info("%s channel failed: %s (%s)", self.role.label, exc, code.name)
        if self._sender is not None and self._close_sent is None:
            try:
                self._send_close(code, str(exc))
            except LimitReached:
                logger.debug("no sequence number left for the close")
        self._closed = True
        return [ChannelClosed(code, str(exc), clean=False, by_peer=False)]
