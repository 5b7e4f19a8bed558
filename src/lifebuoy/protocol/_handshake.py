"""The handshake state machine (docs/protocol.md, "Handshake").

The customer commits to its hello first, so that neither party (nor anyone
between them) can choose its hello after seeing the other's: this is what makes
a six-digit comparison code enough.

    customer                         technician
    COMMIT = SHA-256(hello_c)   -->
                                <--  HELLO_t
    HELLO_c, FINISHED_c         -->
                                <--  FINISHED_t
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from . import _keys
from ._certificate import KeyCertificate, SiteKeys, verify_key_certificate
from ._errors import (
    CertificateMismatch,
    CommitmentMismatch,
    Downgrade,
    KeyConfirmationFailed,
    NoCommonVersion,
    UnexpectedFrame,
)
from ._hello import (
    COMMIT_SIZE,
    FINISHED_SIZE,
    Hello,
    check_short_header,
    decode_hello,
    encode_commit,
    encode_hello,
    short_header,
)
from ._wire import HELLO_FORMAT, RANDOM_SIZE, FrameType, Role

logger = logging.getLogger(__name__)


class _Step(enum.Enum):
    START = "start"
    WAIT_COMMIT = "wait-commit"
    WAIT_HELLO = "wait-hello"
    WAIT_FINISHED = "wait-finished"
    DONE = "done"


@dataclass(frozen=True)
class HandshakeResult:
    """Everything the record layer needs once both parties confirmed the keys."""

    version: int
    """The negotiated protocol version."""
    transcript: bytes
    """SHA-256 transcript hash."""
    comparison_code: str
    """The code both people read aloud."""
    peer: KeyCertificate
    """The peer's verified certificate."""
    send: _keys.DirectionKeys
    """Keys for frames this party sends."""
    receive: _keys.DirectionKeys
    """Keys for frames the peer sends."""


class Handshake:
    """Turns handshake frames into frames to send and, at the end, keys."""

    def __init__(
        self,
        certificate: KeyCertificate,
        private_key: X25519PrivateKey,
        site_keys: SiteKeys,
        versions: tuple[int, ...],
        randbytes: Callable[[int], bytes],
    ) -> None:
        self.role = certificate.role
        self._cert = certificate
        self._private_key = private_key
        self._site_keys = site_keys
        self._versions = versions
        self._hello = encode_hello(
            self.role, versions, randbytes(RANDOM_SIZE), certificate.encoded
        )
        self._commit = b""
        self._peer_hello = b""
        self._secret = b""
        self._result: HandshakeResult | None = None
        self._step = _Step.START

    def start(self) -> list[bytes]:
        """The frames to send first: the commit for the customer, none otherwise."""
        if self._step is not _Step.START:
            return []
        if self.role is Role.TECHNICIAN:
            self._step = _Step.WAIT_COMMIT
            return []
        self._commit = encode_commit(self._hello)
        self._step = _Step.WAIT_HELLO
        return [self._commit]

    def receive(
        self, frame: bytes, now: float
    ) -> tuple[list[bytes], HandshakeResult | None]:
        """Handle one handshake frame; return frames to send and the result."""
        first = self.start()
        kind = FrameType(frame[1])
        logger.debug("handshake %s: %s frame", self.role.label, kind.name)
        if self._step is _Step.WAIT_COMMIT and kind is FrameType.COMMIT:
            return first + self._on_commit(frame), None
        if self._step is _Step.WAIT_HELLO and kind is FrameType.HELLO:
            return first + self._on_hello(frame, now), None
        if self._step is _Step.WAIT_FINISHED and kind is FrameType.FINISHED:
            return self._on_finished(frame)
        raise UnexpectedFrame(f"{kind.name} frame in handshake step {self._step.value}")

    def _on_commit(self, frame: bytes) -> list[bytes]:
        check_short_header(frame, HELLO_FORMAT, COMMIT_SIZE)
        self._commit = frame
        self._step = _Step.WAIT_HELLO
        return [self._hello]

    def _on_hello(self, frame: bytes, now: float) -> list[bytes]:
        hello = decode_hello(frame)
        if self.role is Role.TECHNICIAN:
            digest = hashlib.sha256(frame).digest()
            if not hmac.compare_digest(digest, self._commit[4:]):
                raise CommitmentMismatch("customer hello does not match its commit")
        peer = self._check_peer(hello, now)
        version = self._choose_version(hello)
        secret = _keys.shared_secret(self._private_key, peer.public_key)

        self._peer_hello = frame
        self._result = self._derive(version, secret, peer)
        self._step = _Step.WAIT_FINISHED
        if self.role is Role.TECHNICIAN:
            return []
        return [self._hello, self._finished(secret)]

    def _on_finished(self, frame: bytes) -> tuple[list[bytes], HandshakeResult | None]:
        result = self._result
        assert result is not None
        check_short_header(frame, result.version, FINISHED_SIZE)
        secret = self._secret
        expected = _keys.finished_mac(
            secret, result.transcript, self.role.peer, frame[:4]
        )
        if not hmac.compare_digest(expected, frame[4:]):
            raise KeyConfirmationFailed("peer finished does not match")

        self._step = _Step.DONE
        self._secret = b""
        reply = [self._finished(secret)] if self.role is Role.TECHNICIAN else []
        return reply, result

    def _check_peer(self, hello: Hello, now: float) -> KeyCertificate:
        peer = verify_key_certificate(hello.certificate, self._site_keys, now)
        if peer.session_id != self._cert.session_id:
            raise CertificateMismatch("peer certificate is for another session")
        if peer.role is not self.role.peer or hello.sender is not peer.role:
            raise CertificateMismatch("peer certificate is for the wrong role")
        if hello.versions[0] != peer.max_version:
            raise Downgrade(
                f"peer offers up to v{hello.versions[0]}, "
                f"its certificate says v{peer.max_version}"
            )
        return peer

    def _choose_version(self, hello: Hello) -> int:
        common = set(hello.versions) & set(self._versions)
        if not common:
            raise NoCommonVersion(f"peer offers {hello.versions}")
        return max(common)

    def _derive(
        self, version: int, secret: bytes, peer: KeyCertificate
    ) -> HandshakeResult:
        if self.role is Role.CUSTOMER:
            transcript = _keys.transcript_hash(
                self._commit, self._peer_hello, self._hello
            )
        else:
            transcript = _keys.transcript_hash(
                self._commit, self._hello, self._peer_hello
            )
        self._secret = secret
        return HandshakeResult(
            version,
            transcript,
            _keys.comparison_code(transcript),
            peer,
            _keys.direction_keys(secret, transcript, self.role),
            _keys.direction_keys(secret, transcript, self.role.peer),
        )

    def _finished(self, secret: bytes) -> bytes:
        assert self._result is not None
        header = short_header(self._result.version, FrameType.FINISHED, self.role)
        mac = _keys.finished_mac(secret, self._result.transcript, self.role, header)
        return header + mac
