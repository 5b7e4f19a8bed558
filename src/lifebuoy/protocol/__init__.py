"""The Lifebuoy channel: end-to-end encryption between console and applet.

Sans-I/O: bytes in, events out; calls in, bytes out; time is an argument.
The specification is ``docs/protocol.md``; the browser implementation is
``lifebuoy/site/static/console/channel.js``; both are checked against
``tests/vectors/channel-v1.json``.

Using a channel::

    channel = Channel(role=Role.CUSTOMER, session_id=sid, certificate=cert,
                      private_key=x25519_key, site_keys={"k1": site_key},
                      now=time.time())
    channel.initiate()
    send_all(channel.frames_to_send())          # one frame = one binary message
    for frame in transport:
        for event in channel.receive_frame(frame, now=time.time()):
            ...                                 # HandshakeComplete, MessageReceived...
        send_all(channel.frames_to_send())
    channel.send_message(b"...")                # queued until the handshake is done
    channel.close("done")                       # ChannelClosed follows the reply

When the transport breaks: ``transport_lost()``; on the new transport
``resume()`` and keep going: nothing is lost or duplicated. ``abandon()``
ends a channel that will not be resumed (reported as truncated, never clean).

The site issues certificates with ``issue_key_certificate`` and session
policies (what the technician may do, docs/screen.md) with ``issue_policy``;
the applet checks them with ``verify_policy``.

Exceptions::

    ProtocolError                    root of everything raised here
    ├── ChannelError                 the channel ends; .code goes on the wire
    │   ├── MalformedFrame, FrameTooLarge
    │   ├── VersionMismatch, NoCommonVersion, Downgrade
    │   ├── UnexpectedFrame
    │   ├── BadCertificate, CertificateExpired, CertificateMismatch
    │   ├── BadPublicKey, CommitmentMismatch, KeyConfirmationFailed
    │   ├── AuthenticationFailed, Replayed, OutOfOrder, Reflected
    │   └── Truncated, LimitReached, ResumeFailed
    ├── PolicyError                  a session policy that does not verify
    └── UsageError                   the application misused the channel
        ├── ChannelClosedError
        └── SendBufferFull           wait for SendCapacityAvailable

``receive_frame`` never raises a ``ChannelError``: it turns it into a
``ChannelClosed`` event (and an authenticated close to the peer when keys exist).
"""

from ._certificate import (
    KeyCertificate,
    SiteKeys,
    issue_key_certificate,
    verify_key_certificate,
)
from ._channel import Channel, Frame
from ._errors import (
    AuthenticationFailed,
    BadCertificate,
    BadPublicKey,
    CertificateExpired,
    CertificateMismatch,
    ChannelClosedError,
    ChannelError,
    CommitmentMismatch,
    Downgrade,
    ErrorCode,
    FrameTooLarge,
    KeyConfirmationFailed,
    LimitReached,
    MalformedFrame,
    NoCommonVersion,
    OutOfOrder,
    PolicyError,
    ProtocolError,
    Reflected,
    Replayed,
    ResumeFailed,
    SendBufferFull,
    Truncated,
    UnexpectedFrame,
    UsageError,
    VersionMismatch,
)
from ._events import (
    ChannelClosed,
    Event,
    HandshakeComplete,
    MessageReceived,
    Resumed,
    SendCapacityAvailable,
)
from ._wire import SUPPORTED_VERSIONS, VERSION, Limits, Role
from .policy import ACTIONS, SessionPolicy, issue_policy, verify_policy

__all__ = [
    "ACTIONS",
    "SUPPORTED_VERSIONS",
    "VERSION",
    "AuthenticationFailed",
    "BadCertificate",
    "BadPublicKey",
    "CertificateExpired",
    "CertificateMismatch",
    "Channel",
    "ChannelClosed",
    "ChannelClosedError",
    "ChannelError",
    "CommitmentMismatch",
    "Downgrade",
    "ErrorCode",
    "Event",
    "Frame",
    "FrameTooLarge",
    "HandshakeComplete",
    "KeyCertificate",
    "KeyConfirmationFailed",
    "LimitReached",
    "Limits",
    "MalformedFrame",
    "MessageReceived",
    "NoCommonVersion",
    "OutOfOrder",
    "PolicyError",
    "ProtocolError",
    "Reflected",
    "Replayed",
    "ResumeFailed",
    "Resumed",
    "Role",
    "SendBufferFull",
    "SendCapacityAvailable",
    "SessionPolicy",
    "SiteKeys",
    "Truncated",
    "UnexpectedFrame",
    "UsageError",
    "VersionMismatch",
    "issue_key_certificate",
    "issue_policy",
    "verify_key_certificate",
    "verify_policy",
]
