"""`lifebuoy.tls.connect` on real sockets: a client WebSocket over Lifebuoy's
own TLS layer, checking the server as Python's ``ssl`` would."""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from websockets.asyncio.client import connect as websockets_connect
from websockets.asyncio.server import ServerConnection, serve

from lifebuoy.testing.certs import CertificateAuthority
from lifebuoy.tls import OpenSSLEngine, TLSLayer, connect, pinned_context


async def echo(websocket: ServerConnection) -> None:
    async for message in websocket:
        await websocket.send(message)


class EchoServer:
    """A ``websockets`` server with Python's own TLS, echoing every message."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.port = 0

    async def __aenter__(self) -> EchoServer:
        self._server = await serve(
            echo, "127.0.0.1", 0, ssl=self.context, max_size=2**21, compression=None
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
def authority(tmp_path: Path) -> CertificateAuthority:
    return CertificateAuthority(tmp_path / "authority")


def run(
    test: Callable[[EchoServer], Awaitable[None]], files: tuple[Path, Path]
) -> None:
    """Run ``test`` against an echo server with the certificate ``files``."""

    async def bounded() -> None:
        async with asyncio.timeout(20), EchoServer(*files) as server:
            await test(server)

    asyncio.run(bounded())


def test_messages_go_both_ways_over_the_openssl_engine(
    authority: CertificateAuthority,
) -> None:
    async def test(server: EchoServer) -> None:
        context = pinned_context(cadata=authority.pem)
        url = f"wss://127.0.0.1:{server.port}/"
        async with connect(url, ssl=context, max_size=2**21, compression=None) as ws:
            assert isinstance(ws.transport, TLSLayer)
            engine = ws.transport.get_extra_info("ssl_object")
            assert isinstance(engine, OpenSSLEngine)
            for message in (b"x", os.urandom(2**20), "text"):
                await ws.send(message)
                assert await ws.recv() == message
        assert ws.close_code == 1000

    run(test, authority.issue("127.0.0.1"))


@pytest.mark.parametrize(
    ("issuer", "host"),
    [
        ("stranger", "127.0.0.1"),  # a certificate from another authority
        ("authority", "localhost"),  # a certificate naming another host
    ],
)
def test_a_server_the_pinned_authority_does_not_vouch_for_is_refused(
    authority: CertificateAuthority, tmp_path: Path, issuer: str, host: str
) -> None:
    stranger = CertificateAuthority(tmp_path / "stranger", name="Someone else")

    async def test(server: EchoServer) -> None:
        context = pinned_context(cadata=authority.pem)
        with pytest.raises(ssl.SSLCertVerificationError):
            await connect(f"wss://{host}:{server.port}/", ssl=context)

    run(test, (stranger if issuer == "stranger" else authority).issue("127.0.0.1"))


def test_a_server_that_never_answers_the_handshake_times_out(
    authority: CertificateAuthority,
) -> None:
    async def test() -> None:
        silent = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = silent.sockets[0].getsockname()[1]
        context = pinned_context(cadata=authority.pem)
        url = f"wss://127.0.0.1:{port}/"
        async with silent:
            with pytest.raises(TimeoutError):
                await connect(url, ssl=context, open_timeout=0.5)

    asyncio.run(test())


def test_the_event_loops_tls_serves_what_the_engine_cannot(
    authority: CertificateAuthority, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def test(server: EchoServer) -> None:
        url = f"wss://127.0.0.1:{server.port}/"
        # A context that does not list its trust anchors (like the system's).
        (tmp_path / "ca.pem").write_text(authority.pem)
        plain = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
        async with connect(url, ssl=plain) as ws:
            assert not isinstance(ws.transport, TLSLayer)
            await ws.send("hello")
            assert await ws.recv() == "hello"

        pinned = pinned_context(cadata=authority.pem)
        monkeypatch.setenv("LIFEBUOY_TLS_ENGINE", "system")
        async with connect(url, ssl=pinned) as ws:
            assert not isinstance(ws.transport, TLSLayer)

        # Through a proxy from the environment, websockets' own connect does it.
        monkeypatch.delenv("LIFEBUOY_TLS_ENGINE")
        monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
        assert type(connect(url, ssl=pinned)) is websockets_connect

    run(test, authority.issue("127.0.0.1"))
