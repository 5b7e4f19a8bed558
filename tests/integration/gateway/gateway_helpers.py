"""Helpers for the gateway's real-socket tests: TLS, site keys, clients."""

from __future__ import annotations

import asyncio
import functools
import json
import ssl
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from lifebuoy.gateway import Gateway, GatewayConfig, Limits, Role, issue_ticket
from lifebuoy.testing.certs import self_signed_certificate

SITE_ORIGIN = "https://support.example"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1; (cert, key) PEM files."""
    return self_signed_certificate(folder)


@dataclass
class Setup:
    """A site key, TLS files and the contexts to use them."""

    cert_file: Path
    key_file: Path
    site_key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    def config(self, **limits: Any) -> GatewayConfig:
        return GatewayConfig(
            site_keys={"k1": self.site_key.public_key()},
            host="127.0.0.1",
            port=0,
            tls_cert=self.cert_file,
            tls_key=self.key_file,
            allowed_origins=(SITE_ORIGIN,),
            limits=replace(Limits(), **limits),
        )

    def client_ssl(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.cert_file))
        return context

    def ticket(
        self,
        session_id: str,
        role: Role,
        *,
        participant: str = "p-1",
        lifetime: float = 120,
        now: float | None = None,
    ) -> str:
        return issue_ticket(
            self.site_key,
            "k1",
            session_id,
            role,
            participant,
            lifetime,
            time.time() if now is None else now,
        )

    async def open(
        self, gateway: Gateway, role: Role, *, origin: str | None = None, **kwargs: Any
    ) -> ClientConnection:
        """A connection to the role's endpoint, no ticket sent yet."""
        return await connect(
            f"wss://127.0.0.1:{gateway.port}/v1/{role}",
            ssl=self.client_ssl(),
            compression=None,
            origin=origin,  # type: ignore[arg-type]
            max_size=2**21,
            **kwargs,
        )

    async def join(
        self, gateway: Gateway, session_id: str, role: Role, **kwargs: Any
    ) -> ClientConnection:
        """Connect and present a fresh ticket for the session and role."""
        ws = await self.open(gateway, role, **kwargs)
        await ws.send(self.ticket(session_id, role))
        return ws


async def notice(ws: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    """The next control message (text) from the gateway."""
    async with asyncio.timeout(timeout):
        message = await ws.recv()
    assert isinstance(message, str), message
    decoded: dict[str, Any] = json.loads(message)
    return decoded


async def close_code(ws: ClientConnection, timeout: float = 5) -> int | None:
    """Read until the gateway closes the connection; the code it sent."""
    async with asyncio.timeout(timeout):
        try:
            while True:
                await ws.recv()
        except ConnectionClosed:
            pass
    return ws.close_code


def run_async(
    test: Callable[..., Coroutine[Any, Any, None]],
) -> Callable[..., None]:
    """Run an async test in a fresh event loop, with an overall timeout."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        async def bounded() -> None:
            async with asyncio.timeout(60):
                await test(*args, **kwargs)

        asyncio.run(bounded())

    return wrapper
