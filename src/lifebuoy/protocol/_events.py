"""Events the channel hands to the application."""

from __future__ import annotations

from dataclasses import dataclass

from ._certificate import KeyCertificate
from ._errors import ErrorCode


@dataclass(frozen=True)
class Event:
    """Base class of every channel event."""


@dataclass(frozen=True)
class HandshakeComplete(Event):
    """Both parties proved they hold the same keys; data may flow."""

    comparison_code: str
    """Six digits ("123 456") to compare aloud with the other person."""
    peer_role: str
    """The peer's role from its certificate: "customer" or "technician"."""
    peer_participant: str
    """The peer's participant id from its certificate."""
    peer_certificate: KeyCertificate
    """The peer's verified key certificate."""
    version: int
    """The negotiated protocol version."""


@dataclass(frozen=True)
class MessageReceived(Event):
    """One message from the peer, delivered exactly once and in order."""

    data: bytes
    """The message, as the peer passed it to ``send_message``."""


@dataclass(frozen=True)
class Resumed(Event):
    """The peer's resume arrived on the new transport; unacknowledged frames resent."""

    retransmitted: int
    """How many frames were queued again."""


@dataclass(frozen=True)
class SendCapacityAvailable(Event):
    """Acknowledgements freed room after a ``SendBufferFull``: sending may go on."""

    capacity: int
    """Bytes of message that fit now."""


@dataclass(frozen=True)
class ChannelClosed(Event):
    """The channel ended; no frames are accepted after this."""

    code: int
    """An ``ErrorCode`` or an application code (1000 and above)."""
    reason: str
    """Human-readable reason (not for machines)."""
    clean: bool
    """True only after an authenticated close: nothing was lost or forged."""
    by_peer: bool
    """True if the peer's close ended the channel."""

    @property
    def error(self) -> ErrorCode | None:
        """The code as an ``ErrorCode`` when it is one."""
        try:
            return ErrorCode(self.code)
        except ValueError:
            return None
