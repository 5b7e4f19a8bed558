"""The TLS layer on real sockets, under asyncio's loop and uvloop, on both
TLS engines.

The application above the layer is a recorder; the client is either asyncio's
own TLS streams or `RawTLSClient`, which lets a test decide every record it
sends (or does not send), like a peer that never answers close_notify.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from lifebuoy.tls import (
    PIECE,
    OpenSSLEngine,
    SystemEngine,
    TLSSettings,
    server_engines,
)

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
    uvloop = None  # type: ignore[assignment]

LOOPS = [
    "asyncio",
    pytest.param("uvloop", marks=pytest.mark.skipif(not uvloop, reason="no uvloop")),
]


@pytest.fixture(autouse=True, params=["system", "openssl"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs on both TLS engines (lifebuoy.tls._engine)."""
    monkeypatch.setenv("LIFEBUOY_TLS_ENGINE", request.param)
    return str(request.param)


def run(loop: str, test: Coroutine[Any, Any, None]) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(20):
            await test

    if loop == "uvloop":
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(bounded())
    else:
        asyncio.run(bounded())


class Recorder(asyncio.Protocol):
    """The application above a TLS layer: records what reaches it."""

    def __init__(self, *, echo: bool = False) -> None:
        loop = asyncio.get_running_loop()
        self.echo = echo
        self.close_on_data = False
        self.transport: asyncio.Transport | None = None
        self.data = bytearray()
        self.chunk_kinds: set[str] = set()
        self.events: list[str] = []
        self.made: asyncio.Future[None] = loop.create_future()
        self.lost: asyncio.Future[Exception | None] = loop.create_future()
        self.on_made: Callable[[asyncio.Transport], None] = lambda transport: None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.events.append("made")
        self.on_made(transport)
        self.made.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.data += data
        read_only = isinstance(data, memoryview) and data.readonly
        self.chunk_kinds.add("read-only view" if read_only else type(data).__name__)
        assert self.transport is not None
        if self.echo:
            self.transport.write(data)
        if self.close_on_data:
            self.transport.close()

    def eof_received(self) -> None:
        self.events.append("eof")

    def connection_lost(self, exc: Exception | None) -> None:
        self.events.append("lost")
        self.lost.set_result(exc)

    def pause_writing(self) -> None:
        self.events.append("pause-writing")

    def resume_writing(self) -> None:
        self.events.append("resume-writing")


class Server:
    """A listening socket whose connections run ``Recorder``s over `TLSLayer`."""

    def __init__(self, tls_files: tuple[Path, Path], **timeouts: float) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls_files)
        self.listener = TLSSettings(
            server_engines(context, *tls_files),
            handshake_timeout=timeouts.get("handshake_timeout", 10),
            shutdown_timeout=timeouts.get("shutdown_timeout", 10),
        )
        self.tls_files = tls_files
        self.apps: list[Recorder] = []
        self.echo = False
        self.port = 0
        self._server: asyncio.Server | None = None

    def _create(self) -> asyncio.BaseProtocol:
        app = Recorder(echo=self.echo)
        self.apps.append(app)
        return self.listener.wrap(app)

    async def connected(self) -> tuple[RawTLSClient, Recorder]:
        """A raw client that has sent one byte, and its connection's app once
        the handshake is done there too."""
        client = await RawTLSClient.connect(self.port, client_context(self.tls_files))
        await client.send(b"x")
        app = self.apps[0]
        await app.made
        assert app.transport is not None
        return client, app

    async def __aenter__(self) -> Server:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._create, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for app in self.apps:
            if app.transport is not None:
                app.transport.abort()


def client_context(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(tls_files[0]))


class RawTLSClient:
    """A TLS client over plain streams: every record is the test's choice."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        context: ssl.SSLContext,
    ) -> None:
        self.reader, self.writer = reader, writer
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = context.wrap_bio(
            self.incoming, self.outgoing, server_hostname="127.0.0.1"
        )

    @classmethod
    async def connect(cls, port: int, context: ssl.SSLContext) -> RawTLSClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = cls(reader, writer, context)
        while True:
            try:
                client.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                client._flush()
                await client._fill()
        client._flush()
        return client

    async def send(self, data: bytes) -> None:
        self.tls.write(data)
        self._flush()
        await self.writer.drain()

    async def receive(self) -> bytes:
        """Plaintext; b"" once the server's close_notify has come."""
        while True:
            try:
                return self.tls.read(65536)
            except ssl.SSLZeroReturnError:  # after our own close_notify
                return b""
            except ssl.SSLWantReadError:
                await self._fill()

    def close_notify(self) -> None:
        with contextlib.suppress(ssl.SSLWantReadError):
            self.tls.unwrap()
        self._flush()

    def _flush(self) -> None:
        data = self.outgoing.read()
        if data:
            self.writer.write(data)

    async def _fill(self) -> None:
        data = await self.reader.read(65536)
        if data:
            self.incoming.write(data)
        else:
            self.incoming.write_eof()


@pytest.mark.parametrize("loop", LOOPS)
def test_tls_layer_carries_bytes_both_ways_unchanged(
    loop: str, engine: str, tls_files: tuple[Path, Path]
) -> None:
    async def test() -> None:
        async with Server(tls_files) as server:
            server.echo = True
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", server.port, ssl=client_context(tls_files)
            )
            for size in (1, PIECE - 1, PIECE, 3 * 2**20 + 7):
                data = os.urandom(size)
                writer.write(data)
                assert await reader.readexactly(size) == data
            app = server.apps[0]
            # Plaintext comes in memory the layer never reuses, which
            # ChunkReader keeps without copying.
            assert app.chunk_kinds == {"read-only view"}
            assert app.transport is not None
            # Several writes in one call, as a frame's header and payload.
            parts = [b"h" * 10, b"", os.urandom(3 * PIECE + 5), b"tail"]
            app.transport.writelines(parts)
            assert await reader.readexactly(3 * PIECE + 19) == b"".join(parts)
            assert app.transport.get_extra_info("peername") == writer.get_extra_info(
                "sockname"
            )
            tls = app.transport.get_extra_info("ssl_object")
            assert isinstance(
                tls, OpenSSLEngine if engine == "openssl" else SystemEngine
            )
            assert tls.version() == writer.get_extra_info("ssl_object").version()
            assert app.transport.get_extra_info("cipher") == writer.get_extra_info(
                "cipher"
            )
            writer.close()
            assert await app.lost is None

    run(loop, test())


@pytest.mark.parametrize("loop", LOOPS)
def test_tls_layer_answers_the_peers_close_notify(
    loop: str, tls_files: tuple[Path, Path]
) -> None:
    async def test() -> None:
        async with Server(tls_files) as server:
            client = await RawTLSClient.connect(server.port, client_context(tls_files))
            await client.send(b"last words")
            client.close_notify()
            assert await client.receive() == b""  # the server's close_notify
            app = server.apps[0]
            assert await app.lost is None
            assert app.events == ["made", "eof", "lost"]
            assert app.data == b"last words"

    run(loop, test())


@pytest.mark.parametrize("loop", LOOPS)
def test_tls_layer_close_waits_for_the_peers_close_notify(
    loop: str, tls_files: tuple[Path, Path]
) -> None:
    async def test() -> None:
        async with Server(tls_files, shutdown_timeout=10) as server:
            client, app = await server.connected()
            app.transport.write(b"goodbye")
            app.transport.close()
            assert app.transport.is_closing()
            app.transport.write(b"dropped")  # after close, writes are dropped
            assert await client.receive() == b"goodbye"
            assert await client.receive() == b""
            await asyncio.sleep(0.2)
            assert not app.lost.done()  # waiting for our close_notify

            client.close_notify()
            async with asyncio.timeout(5):
                assert await app.lost is None
            assert app.events == ["made", "eof", "lost"]  # as uvloop tells it

    run(loop, test())


@pytest.mark.parametrize("loop", LOOPS)
def test_tls_layer_closes_at_once_when_both_close_notify_cross(
    loop: str, tls_files: tuple[Path, Path]
) -> None:
    async def test() -> None:
        async with Server(tls_files, shutdown_timeout=10) as server:
            client = await RawTLSClient.connect(server.port, client_context(tls_files))
            await client.send(b"x")
            app = server.apps[0]
            while app.data != b"x":
                await asyncio.sleep(0.01)
            app.close_on_data = True  # as websockets does on a close frame
            client.tls.write(b"bye")
            client.close_notify()  # in the same segment as the data
            async with asyncio.timeout(3):
                assert await app.lost is None
            assert app.data == b"xbye"
            assert app.events == ["made", "eof", "lost"]

    run(loop, test())


@pytest.mark.parametrize("loop", LOOPS)
def test_tls_layer_gives_up_on_a_silent_peer_after_the_shutdown_timeout(
    loop: str, tls_files: tuple[Path, Path]
) -> None:
    async def test() -> None:
        async with Server(tls_files, shutdown_timeout=0.3) as server:
            client, app = await server.connected()
            app.transport.close()
            async with asyncio.timeout(5):
                await app.lost  # the client never answers
            assert await client.receive() == b""

    run(loop, test())


@pytest.mark.parametrize("loop", LOOPS)
def test_tls_layer_reports_an_eof_without_close_notify_as_a_lost_connection(
    loop: str, tls_files: tuple[Path, Path]
) -> None:
    async def test() -> None:
        async with Server(tls_files) as server:
            client = await RawTLSClient.connect(server.port, client_context(tls_files))
            await client.send(b"x")
            client.writer.write_eof()  # TCP FIN, no close_notify
            app = server.apps[0]
            assert await app.lost is None
            assert app.events == ["made", "lost"]  # no orderly eof_received()
            client.writer.close()

    run(loop, test())


@pytest.mark.parametrize("loop", LOOPS)
def test_tls_layer_drops_a_client_that_does_not_finish_the_handshake(
    loop: str, tls_files: tuple[Path, Path]
) -> None:
    async def test() -> None:
        async with Server(tls_files, handshake_timeout=0.3) as server:
            silent_reader, silent = await asyncio.open_connection(
                "127.0.0.1", server.port
            )
            garbage_reader, garbage = await asyncio.open_connection(
                "127.0.0.1", server.port
            )
            garbage.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            async with asyncio.timeout(5):
                for reader in (silent_reader, garbage_reader):
                    try:
                        while await reader.read(4096):
                            pass
                    except ConnectionResetError:
                        pass
            assert [app.events for app in server.apps] == [[], []]
            for writer in (silent, garbage):
                writer.close()

    run(loop, test())


@pytest.mark.parametrize("loop", LOOPS)
def test_tls_layer_holds_data_back_while_reading_is_paused(
    loop: str, tls_files: tuple[Path, Path]
) -> None:
    async def test() -> None:
        async with Server(tls_files) as server:
            _, writer = await asyncio.open_connection(
                "127.0.0.1", server.port, ssl=client_context(tls_files)
            )
            writer.write(b"first")
            while not server.apps or len(server.apps[0].data) < 5:
                await asyncio.sleep(0.01)
            app = server.apps[0]
            assert app.transport is not None
            app.transport.pause_reading()
            assert not app.transport.is_reading()
            data = os.urandom(2**20)
            writer.write(data)
            await asyncio.sleep(0.3)
            assert app.data == b"first"

            app.transport.resume_reading()
            async with asyncio.timeout(5):
                while len(app.data) < 5 + len(data):
                    await asyncio.sleep(0.01)
            assert app.data == b"first" + data
            writer.close()
            await app.lost

    run(loop, test())


@pytest.mark.parametrize("loop", LOOPS)
def test_tls_layer_closes_cleanly_while_reading_is_paused(
    loop: str, tls_files: tuple[Path, Path]
) -> None:
    async def test() -> None:
        async with Server(tls_files, shutdown_timeout=10) as server:
            client, app = await server.connected()
            app.transport.pause_reading()
            await client.send(b"unread")
            await asyncio.sleep(0.1)
            app.transport.close()
            assert await client.receive() == b""
            client.close_notify()  # must reach the server although it paused
            async with asyncio.timeout(5):
                await app.lost

    run(loop, test())


@pytest.mark.parametrize("loop", LOOPS)
def test_tls_layer_applies_the_write_buffer_limits(
    loop: str, tls_files: tuple[Path, Path]
) -> None:
    async def test() -> None:
        async with Server(tls_files) as server:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", server.port, ssl=client_context(tls_files)
            )
            writer.write(b"x")
            while not server.apps:
                await asyncio.sleep(0.01)
            app = server.apps[0]
            await app.made
            assert app.transport is not None
            app.transport.set_write_buffer_limits(high=2**16)
            data = os.urandom(16 * 2**20)  # more than the kernel buffers
            app.transport.write(data)
            assert app.transport.get_write_buffer_size() > 2**16
            assert app.events == ["made", "pause-writing"]

            assert await reader.readexactly(len(data)) == data
            await asyncio.sleep(0.05)
            assert app.events == ["made", "pause-writing", "resume-writing"]
            assert app.transport.get_write_buffer_size() == 0
            writer.close()
            await app.lost

    run(loop, test())
