"""A test site, real TLS gateways on port 0, and the two ends of a session."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ssl
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from lifebuoy import gateway
from lifebuoy.protocol import Channel, Event, Limits, Role, issue_key_certificate
from lifebuoy.protocol.aio import ChannelConnection, ReconnectPolicy, connect
from lifebuoy.testing.certs import self_signed_certificate

KEY_ID = "site-test"
PARTICIPANTS = {Role.CUSTOMER: "customer-7", Role.TECHNICIAN: "tech-alice"}
FAST_RETRIES = ReconnectPolicy(
    attempts=40, first_delay=0.05, max_delay=0.5, deadline=20
)


def make_tls_files(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1; (cert, key) PEM files."""
    return self_signed_certificate(folder)


@dataclass
class Site:
    """What the site gives the ends: tickets, key certificates, TLS trust."""

    cert_file: Path
    key_file: Path
    site_key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    tickets_issued: dict[Role, int] = field(
        default_factory=lambda: {Role.CUSTOMER: 0, Role.TECHNICIAN: 0}
    )

    @property
    def site_keys(self) -> dict[str, Any]:
        return {KEY_ID: self.site_key.public_key()}

    def client_ssl(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert_file))

    def gateway_config(self, port: int = 0, **limits: Any) -> gateway.GatewayConfig:
        return gateway.GatewayConfig(
            site_keys=self.site_keys,
            host="127.0.0.1",
            port=port,
            tls_cert=self.cert_file,
            tls_key=self.key_file,
            limits=replace(gateway.Limits(), **limits),
        )

    def ticket(self, session_id: str, role: Role) -> str:
        self.tickets_issued[role] += 1
        return gateway.issue_ticket(
            self.site_key,
            KEY_ID,
            session_id,
            gateway.Role(role.label),
            PARTICIPANTS[role],
            120,
            time.time(),
        )

    def ticket_source(
        self, session_id: str, role: Role, gate: asyncio.Event | None = None
    ) -> Callable[[str], Coroutine[Any, Any, str]]:
        """Fresh tickets on demand; while ``gate`` is clear, none are given."""

        async def source(gateway_url: str) -> str:
            if gate is not None:
                await gate.wait()
            return self.ticket(session_id, role)

        return source

    def channel(
        self, session_id: str, role: Role, limits: Limits | None = None
    ) -> Channel:
        """A fresh channel with an ephemeral key certified by the site."""
        key = X25519PrivateKey.generate()
        now = int(time.time())
        certificate = issue_key_certificate(
            self.site_key,
            KEY_ID,
            session_id=session_id,
            role=role,
            participant_id=PARTICIPANTS[role],
            public_key=key.public_key().public_bytes_raw(),
            issued_at=now - 60,
            expires_at=now + 3600,
        )
        return Channel(
            role=role,
            session_id=session_id,
            certificate=certificate,
            private_key=key,
            site_keys=self.site_keys,
            now=time.time(),
            limits=limits,
        )

    async def end(
        self,
        urls: list[str],
        session_id: str,
        role: Role,
        *,
        gate: asyncio.Event | None = None,
        **options: Any,
    ) -> ChannelConnection:
        """One end, connected through the gateways (returns after the handshake)."""
        options.setdefault("reconnect", FAST_RETRIES)
        return await connect(
            self.channel(session_id, role),
            urls,
            self.ticket_source(session_id, role, gate),
            ssl_context=self.client_ssl(),
            **options,
        )

    async def pair(
        self, urls: list[str], session_id: str, **options: Any
    ) -> tuple[ChannelConnection, ChannelConnection]:
        """Both ends of a session, connected to each other."""
        customer, technician = await asyncio.gather(
            self.end(urls, session_id, Role.CUSTOMER, **options),
            self.end(urls, session_id, Role.TECHNICIAN, **options),
        )
        return customer, technician


def url(gw: gateway.Gateway) -> str:
    return f"wss://127.0.0.1:{gw.port}"


@contextlib.asynccontextmanager
async def running_gateway(
    site: Site, port: int = 0, **kwargs: Any
) -> AsyncIterator[gateway.Gateway]:
    tap = kwargs.pop("tap", None)
    reporter = kwargs.pop("reporter", None)
    async with gateway.Gateway(
        site.gateway_config(port, **kwargs), reporter, tap=tap
    ) as gw:
        yield gw


def kill_transport(connection: ChannelConnection) -> None:
    """Drop an end's WebSocket without a closing handshake (a network failure)."""
    websocket = connection._websocket
    assert websocket is not None, "no transport to kill"
    websocket.transport.abort()


async def until(condition: Callable[[], bool], timeout: float = 10) -> None:
    """Wait until ``condition()`` holds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


def run_async(
    test: Callable[..., Coroutine[Any, Any, None]],
) -> Callable[..., None]:
    """Run an async test in a fresh event loop, with an overall timeout."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        async def bounded() -> None:
            async with asyncio.timeout(90):
                await test(*args, **kwargs)

        asyncio.run(bounded())

    return wrapper


class HandDriven:
    """One end driven by hand through a gateway: an attacker or a hostile peer.

    It holds a plain WebSocket and, if it has the channel keys, a sans-I/O
    ``Channel`` whose frames it may send as they are, altered, or not at all.
    """

    def __init__(self, websocket: ClientConnection, channel: Channel | None) -> None:
        self.websocket = websocket
        self.channel = channel
        self.notices: list[str] = []
        self.events: list[Event] = []

    @classmethod
    async def join(
        cls,
        site: Site,
        gw: gateway.Gateway,
        role: Role,
        ticket: str | None,
        channel: Channel | None = None,
    ) -> HandDriven:
        websocket = await ws_connect(
            f"{url(gw)}/v1/{role.label}",
            ssl=site.client_ssl(),
            compression=None,
            max_size=2**21,
        )
        if ticket is not None:
            await websocket.send(ticket)
        return cls(websocket, channel)

    async def notice(self, timeout: float = 5) -> str:
        """The next control message from the gateway."""
        async with asyncio.timeout(timeout):
            message = await self.websocket.recv()
        assert isinstance(message, str), message
        self.notices.append(message)
        return message

    async def frame(self, timeout: float = 5) -> bytes:
        """The next binary message, skipping notices."""
        async with asyncio.timeout(timeout):
            while isinstance(message := await self.websocket.recv(), str):
                self.notices.append(message)
        return message

    async def handshake(self) -> None:
        """Run the channel's handshake with the real end at the other side."""
        channel = self.channel
        assert channel is not None
        channel.initiate()
        while not channel.is_open:
            await self.flush()
            self.events += channel.receive_frame(await self.frame(), time.time())
        await self.flush()

    def seal(self, message: bytes) -> list[bytes]:
        """The frames the channel makes for ``message`` (not sent)."""
        assert self.channel is not None
        self.channel.send_message(message)
        return [bytes(f) for f in self.channel.frames_to_send()]

    async def flush(self) -> None:
        assert self.channel is not None
        for frame in self.channel.frames_to_send():
            await self.websocket.send(frame)

    async def send(self, *frames: bytes) -> None:
        for frame in frames:
            await self.websocket.send(frame)

    async def close_code(self, timeout: float = 5) -> int | None:
        """Read (into the channel, if any) until the gateway closes; its code."""
        with contextlib.suppress(ConnectionClosed):
            async with asyncio.timeout(timeout):
                while True:
                    message = await self.websocket.recv()
                    if isinstance(message, str):
                        self.notices.append(message)
                    elif self.channel is not None:
                        self.events += self.channel.receive_frame(message, time.time())
        return self.websocket.close_code
