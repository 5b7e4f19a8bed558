"""Error codes carried on the wire and the exceptions that carry them."""

from __future__ import annotations

import enum
from typing import ClassVar


class ErrorCode(enum.IntEnum):
    """Why a channel ended; sent as a u16 in the authenticated close."""

    NORMAL = 0
    MALFORMED_FRAME = 1
    FRAME_TOO_LARGE = 2
    VERSION_MISMATCH = 3
    NO_COMMON_VERSION = 4
    DOWNGRADE = 5
    UNEXPECTED_FRAME = 6
    BAD_CERTIFICATE = 7
    CERTIFICATE_EXPIRED = 8
    CERTIFICATE_MISMATCH = 9
    BAD_PUBLIC_KEY = 10
    COMMITMENT_MISMATCH = 11
    KEY_CONFIRMATION_FAILED = 12
    AUTHENTICATION_FAILED = 13
    REPLAYED = 14
    OUT_OF_ORDER = 15
    REFLECTED = 16
    TRUNCATED = 17
    LIMIT_REACHED = 18
    RESUME_FAILED = 19
    APPLICATION = 1000
    """First code left to the application (1000-65535)."""


class ProtocolError(Exception):
    """Root of every error raised by ``lifebuoy.protocol``."""

    code: ClassVar[ErrorCode | None] = None


class ChannelError(ProtocolError):
    """The channel cannot go on; ``code`` says why, on the wire too."""

    code: ClassVar[ErrorCode | None] = ErrorCode.MALFORMED_FRAME


class MalformedFrame(ChannelError):
    """A frame does not follow the layout: too short, bad field, trailing bytes."""

    code = ErrorCode.MALFORMED_FRAME


class FrameTooLarge(ChannelError):
    """A frame is longer than the negotiated limit."""

    code = ErrorCode.FRAME_TOO_LARGE


class VersionMismatch(ChannelError):
    """A frame carries a version byte other than the one in use."""

    code = ErrorCode.VERSION_MISMATCH


class NoCommonVersion(ChannelError):
    """The two parties offer no protocol version in common."""

    code = ErrorCode.NO_COMMON_VERSION


class Downgrade(ChannelError):
    """The offered versions were changed on the way (downgrade attempt)."""

    code = ErrorCode.DOWNGRADE


class UnexpectedFrame(ChannelError):
    """A frame type that is not allowed in the current state."""

    code = ErrorCode.UNEXPECTED_FRAME


class BadCertificate(ChannelError):
    """A key certificate is malformed, unsigned, or signed by an unknown key."""

    code = ErrorCode.BAD_CERTIFICATE


class CertificateExpired(ChannelError):
    """A key certificate is outside its validity period."""

    code = ErrorCode.CERTIFICATE_EXPIRED


class CertificateMismatch(ChannelError):
    """A key certificate is for another session, role or version."""

    code = ErrorCode.CERTIFICATE_MISMATCH


class BadPublicKey(ChannelError):
    """An X25519 public key is invalid (all-zero shared secret, low order)."""

    code = ErrorCode.BAD_PUBLIC_KEY


class CommitmentMismatch(ChannelError):
    """The customer's hello does not match the commitment sent before it."""

    code = ErrorCode.COMMITMENT_MISMATCH


class KeyConfirmationFailed(ChannelError):
    """The peer's finished message does not prove the same keys and transcript."""

    code = ErrorCode.KEY_CONFIRMATION_FAILED


class AuthenticationFailed(ChannelError):
    """A frame failed AES-GCM authentication (forged or altered)."""

    code = ErrorCode.AUTHENTICATION_FAILED


class Replayed(ChannelError):
    """A frame with a sequence number already received."""

    code = ErrorCode.REPLAYED


class OutOfOrder(ChannelError):
    """A frame arrived ahead of one that must precede it (reordered or dropped)."""

    code = ErrorCode.OUT_OF_ORDER


class Reflected(ChannelError):
    """A frame came back to the party that sent it."""

    code = ErrorCode.REFLECTED


class Truncated(ChannelError):
    """The channel ended without an authenticated close."""

    code = ErrorCode.TRUNCATED


class LimitReached(ChannelError):
    """A sequence or key-usage limit was reached and nothing more can be sent."""

    code = ErrorCode.LIMIT_REACHED


class ResumeFailed(ChannelError):
    """A resume message names frames that were never sent or already dropped."""

    code = ErrorCode.RESUME_FAILED


class PolicyError(ProtocolError):
    """A session policy is malformed, unsigned, expired or of another version.

    Not a channel error: without a valid policy the technician may only chat.
    """


class UsageError(ProtocolError):
    """The application called the channel in a way it does not allow."""


class ChannelClosedError(UsageError):
    """The channel is closed; nothing more can be sent."""


class SendBufferFull(UsageError):
    """Unacknowledged frames fill the retransmit buffer: wait for acknowledgements."""
