"""Two in-memory channel peers, a fake site and an injected clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from lifebuoy.protocol import (
    Channel,
    ChannelClosed,
    Event,
    Limits,
    MessageReceived,
    Role,
    issue_key_certificate,
)

SITE_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
SITE_KEYS = {"site-1": SITE_KEY.public_key()}
SESSION = "session-0001"
NOW = 1_750_000_000.0
PARTICIPANTS = {Role.CUSTOMER: "customer-7", Role.TECHNICIAN: "tech-alice"}

Filter = Callable[[Role, list[bytes]], list[bytes]]


def make_certificate(
    role: Role,
    private_key: X25519PrivateKey,
    *,
    session: str = SESSION,
    signing_key: Ed25519PrivateKey = SITE_KEY,
    key_id: str = "site-1",
    issued_at: int = int(NOW) - 60,
    expires_at: int = int(NOW) + 3600,
    max_version: int = 1,
    public_key: bytes | None = None,
) -> bytes:
    """A certificate from the fake site (or from anyone holding ``signing_key``)."""
    return issue_key_certificate(
        signing_key,
        key_id,
        session_id=session,
        role=role,
        participant_id=PARTICIPANTS[role],
        public_key=public_key or private_key.public_key().public_bytes_raw(),
        issued_at=issued_at,
        expires_at=expires_at,
        max_version=max_version,
    )


def make_channel(
    role: Role,
    *,
    limits: Limits | None = None,
    certificate: bytes | None = None,
    private_key: X25519PrivateKey | None = None,
) -> Channel:
    """A channel with a fresh ephemeral key and a certificate from the fake site."""
    key = private_key or X25519PrivateKey.generate()
    return Channel(
        role=role,
        session_id=SESSION,
        certificate=certificate or make_certificate(role, key),
        private_key=key,
        site_keys=SITE_KEYS,
        now=NOW,
        limits=limits,
    )


@dataclass
class Pair:
    """A customer and a technician wired together through an optional filter."""

    customer: Channel
    technician: Channel
    now: float = NOW
    events: dict[Role, list[Event]] = field(
        default_factory=lambda: {Role.CUSTOMER: [], Role.TECHNICIAN: []}
    )

    @classmethod
    def create(cls, limits: Limits | None = None) -> Pair:
        """Two fresh peers; nothing sent yet."""
        return cls(
            make_channel(Role.CUSTOMER, limits=limits),
            make_channel(Role.TECHNICIAN, limits=limits),
        )

    def channel(self, role: Role) -> Channel:
        """The channel playing ``role``."""
        return self.customer if role is Role.CUSTOMER else self.technician

    def deliver(self, to: Role, frames: list[bytes]) -> None:
        """Hand frames to one side, recording its events."""
        for frame in frames:
            self.events[to].extend(self.channel(to).receive_frame(frame, self.now))

    def pump(self, flt: Filter | None = None, rounds: int = 1000) -> None:
        """Move frames both ways until nothing is left to send."""
        for _ in range(rounds):
            moved = False
            for sender in (Role.CUSTOMER, Role.TECHNICIAN):
                frames = [bytes(f) for f in self.channel(sender).frames_to_send()]
                if flt is not None:
                    frames = flt(sender, frames)
                moved = moved or bool(frames)
                self.deliver(sender.peer, frames)
            if not moved:
                return
        raise AssertionError("frames still moving after many rounds")

    def connect(self) -> None:
        """Run the handshake to completion."""
        self.customer.initiate()
        self.technician.initiate()
        self.pump()

    def messages(self, role: Role) -> list[bytes]:
        """Messages received so far by ``role``."""
        return [e.data for e in self.events[role] if isinstance(e, MessageReceived)]

    def closed(self, role: Role) -> ChannelClosed | None:
        """The ``ChannelClosed`` event of ``role``, if any."""
        found = [e for e in self.events[role] if isinstance(e, ChannelClosed)]
        assert len(found) <= 1
        return found[0] if found else None
