"""Gateway benchmark: channel throughput, round trip, idle memory, CPU per GiB.

Run from the repository root::

    .venv/bin/python bench/channel.py [--quick] [--only relay,rtt]

Every party runs in its own process, on loopback with TLS (uvloop when
installed): the gateway, so its CPU and memory can be read with psutil alone,
and each end. The ends speak the real channel (``lifebuoy.protocol`` through
``lifebuoy.protocol.aio``): handshake, AES-256-GCM records of 1 MiB messages,
acknowledgements, backpressure. The raw TCP splice baseline carries AES-GCM
frames of the same size between two processes, without TLS, WebSocket or
gateway. The last line printed is one JSON object.

Parts (``--only``): ``idle`` (idle_session_kib), ``relay`` (relay_mib_s,
gateway_cpu_s_per_gib, ends_cpu_s_per_gib for sender plus receiver), ``rtt``
(rtt_p50_ms, rtt_p99_ms), ``splice`` (splice_mib_s, and relay_vs_splice with
``relay``), ``browser`` (browser_mib_s: a Python customer to a Chromium
technician decrypting with WebCrypto; see ``bench/_browser.py``).
``--only relay,rtt`` takes about 20 s.

Two more parts explain ``relay_vs_splice`` rather than measure a goal (see
``docs/decisions/0016-tls-sets-the-relay-ratio.md``): ``plain`` runs the same
relay with the gateway's two hops unencrypted (plain_relay_mib_s,
plain_gateway_cpu_s_per_gib, plain_ends_cpu_s_per_gib, and
plain_relay_vs_splice with ``splice``), and ``tls`` times one TLS pass on this
machine: Python's ``ssl`` encrypting and decrypting through memory BIOs as the
gateway does (tls_pass_cpu_s_per_gib), beside the channel's own AES-256-GCM
(channel_aead_cpu_s_per_gib). They run by default; the relay makes four such
TLS passes (the sender's, two in the gateway, the receiver's), the splice
none.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import multiprocessing
import os
import resource
import ssl
import statistics
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psutil
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from websockets.asyncio.client import ClientConnection, connect

from _browser import measure_browser_mib_s
from lifebuoy.gateway import (
    Gateway,
    GatewayConfig,
    Limits,
    Role,
    issue_ticket,
)
from lifebuoy.protocol import Channel, aio, issue_key_certificate
from lifebuoy.protocol import Role as ChannelRole
from lifebuoy.testing.certs import self_signed_certificate
from lifebuoy.tls import pinned_context

MIB = 2**20
MESSAGE = MIB
"""Channel messages of the largest size (docs/protocol.md, "Limits")."""
PARTS = ("idle", "relay", "rtt", "splice", "browser", "plain", "tls")


# Event loop and limits.


def _run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run with uvloop when it is installed, like ``lifebuoy gateway`` does."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


def _raise_file_limit(wanted: int = 65_536) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, max(hard, wanted)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# TLS and keys.


class Site:
    """What a client needs: the TLS trust anchor and a ticket-signing key."""

    def __init__(self, cert: Path, site_key: bytes) -> None:
        self.cert = cert
        self.key = Ed25519PrivateKey.from_private_bytes(site_key)
        self.ssl = pinned_context(cafile=cert)

    def ticket(self, session_id: str, role: Role) -> str:
        return issue_ticket(self.key, "k1", session_id, role, "bench", 600, time.time())

    async def join(self, port: int, session_id: str, role: Role) -> ClientConnection:
        ws = await connect(
            f"wss://127.0.0.1:{port}/v1/{role}",
            ssl=self.ssl,
            compression=None,
            max_size=2 * MIB,
            max_queue=2,
            write_limit=MIB,
            ping_interval=None,
            open_timeout=120,
        )
        await ws.send(self.ticket(session_id, role))
        return ws

    async def channel_end(
        self, port: int, session_id: str, role: ChannelRole, *, tls: bool = True
    ) -> aio.ChannelConnection:
        """One end of a session speaking the real channel through the gateway
        (``tls=False`` for a gateway listening without TLS)."""
        key = X25519PrivateKey.generate()
        now = int(time.time())
        certificate = issue_key_certificate(
            self.key,
            "k1",
            session_id=session_id,
            role=role,
            participant_id=role.label,
            public_key=key.public_key().public_bytes_raw(),
            issued_at=now - 60,
            expires_at=now + 3600,
        )
        channel = Channel(
            role=role,
            session_id=session_id,
            certificate=certificate,
            private_key=key,
            site_keys={"k1": self.key.public_key()},
            now=time.time(),
        )

        async def tickets(gateway_url: str) -> str:
            return self.ticket(session_id, Role(role.label))

        if not tls:
            return await aio.connect(channel, [f"ws://127.0.0.1:{port}"], tickets)
        return await aio.connect(
            channel, [f"wss://127.0.0.1:{port}"], tickets, ssl_context=self.ssl
        )


async def _pair(site: Site, port: int, session_id: str) -> tuple[ClientConnection, ...]:
    customer = await site.join(port, session_id, Role.CUSTOMER)
    await customer.recv()  # waiting
    technician = await site.join(port, session_id, Role.TECHNICIAN)
    await customer.recv()  # paired
    await technician.recv()  # paired
    return customer, technician


# The gateway process.


def gateway_process(
    cert: Path, key: Path, public_key: bytes, tls: bool, pipe: Connection
) -> None:
    _raise_file_limit()
    limits = Limits(max_connections_per_address=100_000, max_connections=100_000)
    config = GatewayConfig(
        site_keys={"k1": _public_key(public_key)},
        host="127.0.0.1",
        port=0,
        tls_cert=cert if tls else None,
        tls_key=key if tls else None,
        limits=limits,
    )

    async def serve() -> None:
        async with Gateway(config) as gateway:
            pipe.send(gateway.port)
            await asyncio.get_running_loop().run_in_executor(None, pipe.recv)

    _run(serve())


def _public_key(raw: bytes) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    return Ed25519PublicKey.from_public_bytes(raw)


class GatewayProcess:
    """A gateway in a child process, with psutil on it."""

    def __init__(
        self, cert: Path, key: Path, site_key: Ed25519PrivateKey, *, tls: bool = True
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        public = site_key.public_key().public_bytes_raw()
        self.tls = tls
        self._process = context.Process(
            target=gateway_process, args=(cert, key, public, tls, child), daemon=True
        )
        self._process.start()
        self.port: int = self._pipe.recv()
        assert self._process.pid is not None
        self.ps = psutil.Process(self._process.pid)

    def cpu(self) -> float:
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    def rss(self) -> int:
        return int(self.ps.memory_info().rss)

    def stop(self) -> None:
        self._pipe.send("stop")
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()


# The channel's ends, each in its own process.


def relay_end_process(
    cert: Path,
    site_key: bytes,
    port: int,
    role: ChannelRole,
    total: int,
    tls: bool,
    pipe: Connection,
) -> None:
    """The customer sends ``total`` bytes in 1 MiB messages when told to; the
    technician receives them and reports when the last one has arrived."""
    site = Site(cert, site_key)

    async def send(connection: aio.ChannelConnection) -> None:
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        message = os.urandom(MESSAGE)
        cpu = time.process_time()
        for _ in range(total // MESSAGE):
            await connection.send(message)
        await connection.close("done", timeout=120)
        pipe.send(time.process_time() - cpu)

    async def receive(connection: aio.ChannelConnection) -> None:
        received = 0
        cpu = time.process_time()
        async for message in connection:
            received += len(message)
            if received >= total:
                break
        pipe.send((time.perf_counter(), time.process_time() - cpu))
        await connection.wait_closed()

    async def run() -> None:
        connection = await site.channel_end(port, "bulk", role, tls=tls)
        pipe.send("ready")
        if role is ChannelRole.CUSTOMER:
            await send(connection)
        else:
            await receive(connection)

    _run(run())


def relay_throughput(
    cert: Path, site_key: Ed25519PrivateKey, gateway: GatewayProcess, total: int
) -> tuple[float, float, float]:
    """MiB/s through the gateway; CPU seconds of the gateway and of both ends."""
    private = site_key.private_bytes_raw()
    ends = [
        _spawn(relay_end_process, cert, private, gateway.port, role, total, gateway.tls)
        for role in (ChannelRole.TECHNICIAN, ChannelRole.CUSTOMER)
    ]
    (receiver, receiving), (sender, sending) = ends
    assert receiving.recv() == sending.recv() == "ready"

    cpu = gateway.cpu()
    start = time.perf_counter()
    sending.send("go")
    end, receiver_cpu = receiving.recv()
    cpu = gateway.cpu() - cpu
    sender_cpu = sending.recv()
    for process in (sender, receiver):
        process.join(120)
    return total / MIB / (end - start), cpu, sender_cpu + receiver_cpu


def rtt_end_process(
    cert: Path,
    site_key: bytes,
    port: int,
    role: ChannelRole,
    count: int,
    pipe: Connection,
) -> None:
    """The technician echoes; the customer times ``count`` 64-byte round trips."""
    site = Site(cert, site_key)

    async def run() -> None:
        connection = await site.channel_end(port, "rtt", role)
        if role is ChannelRole.TECHNICIAN:
            async for message in connection:
                await connection.send(message)
            return

        message = os.urandom(64)
        samples = []
        for index in range(count + 200):
            start = time.perf_counter()
            await connection.send(message)
            await connection.receive()
            if index >= 200:  # warm-up
                samples.append((time.perf_counter() - start) * 1000)
        await connection.close("done")
        pipe.send(samples)

    _run(run())


def round_trips(
    cert: Path, site_key: Ed25519PrivateKey, gateway: GatewayProcess, count: int
) -> list[float]:
    """Milliseconds per 64-byte message there and back through the gateway."""
    private = site_key.private_bytes_raw()
    ends = [
        _spawn(rtt_end_process, cert, private, gateway.port, role, count)
        for role in (ChannelRole.TECHNICIAN, ChannelRole.CUSTOMER)
    ]
    samples: list[float] = ends[1][1].recv()
    for process, _ in ends:
        process.join(60)
    return samples


# The raw TCP splice, for comparison.


def splice_process(pipe: Connection) -> None:
    async def serve() -> None:
        accepted: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]]
        accepted = asyncio.Queue()

        async def on_connect(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            await accepted.put((r, w))

        server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
        pipe.send(server.sockets[0].getsockname()[1])
        while True:
            (source, _), (_, sink) = await accepted.get(), await accepted.get()
            while data := await source.read(256 * 1024):
                sink.write(data)
                await sink.drain()
            sink.close()

    _run(serve())


def splice_end_process(
    port: int, sending: bool, key: bytes, total: int, pipe: Connection
) -> None:
    """AES-GCM frames of one channel message each, length-prefixed, one way."""
    aead = AESGCM(key)

    async def send() -> None:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        pipe.send("ready")
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        plaintext = os.urandom(MESSAGE)
        for counter in range(total // MESSAGE):
            nonce = struct.pack(">4xQ", counter)
            frame = nonce + aead.encrypt(nonce, plaintext, None)
            writer.write(struct.pack(">I", len(frame)) + frame)
            await writer.drain()
        writer.close()

    async def receive() -> None:
        reader, _ = await asyncio.open_connection("127.0.0.1", port)
        pipe.send("ready")
        for counter in range(total // MESSAGE):
            (length,) = struct.unpack(">I", await reader.readexactly(4))
            frame = await reader.readexactly(length)
            nonce = struct.pack(">4xQ", counter)
            aead.decrypt(nonce, frame[12:], None)
        pipe.send(time.perf_counter())

    _run(send() if sending else receive())


def splice_throughput(total: int) -> float:
    """MiB/s through a plain TCP splice process (the first connection sends)."""
    splicer, pipe = _spawn(splice_process)
    port = pipe.recv()
    key = os.urandom(32)
    sender, sending = _spawn(splice_end_process, port, True, key, total)
    assert sending.recv() == "ready"
    receiver, receiving = _spawn(splice_end_process, port, False, key, total)
    assert receiving.recv() == "ready"

    start = time.perf_counter()
    sending.send("go")
    end: float = receiving.recv()
    for process in (sender, receiver):
        process.join(60)
    splicer.kill()
    return total / MIB / (end - start)


# What one TLS pass costs here, for comparison.


def tls_pass_cpu(cert: Path, key: Path, total: int) -> float:
    """CPU seconds per GiB for one TLS pass: Python's ``ssl`` encrypting
    ``total`` bytes in 1 MiB writes and decrypting them, through memory BIOs
    and in 256 KiB reads as the gateway's TLS layer does; the mean of the two.
    Everything stays in one process and in the CPU's caches, so this is what
    a pass costs at best."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    to_server, from_server = ssl.MemoryBIO(), ssl.MemoryBIO()
    to_client, from_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    server = server_context.wrap_bio(to_server, from_server, server_side=True)
    client = client_context.wrap_bio(
        to_client, from_client, server_hostname="127.0.0.1"
    )
    for _ in range(4):  # the TLS 1.3 handshake needs two flights each way
        for end in (client, server):
            with contextlib.suppress(ssl.SSLWantReadError):
                end.do_handshake()
        to_server.write(from_client.read())
        to_client.write(from_server.read())
    message, buffer = os.urandom(MESSAGE), bytearray(256 * 1024)
    encrypting = decrypting = 0.0
    for _ in range(total // MESSAGE):
        start = time.process_time()
        client.write(message)
        wire = memoryview(from_client.read())
        middle = time.process_time()
        for offset in range(0, len(wire), len(buffer)):
            to_server.write(wire[offset : offset + len(buffer)])
            with contextlib.suppress(ssl.SSLWantReadError):
                while server.read(len(buffer), buffer):
                    pass
        encrypting += middle - start
        decrypting += time.process_time() - middle
    return (encrypting + decrypting) / 2 / (total / 2**30)


def aead_cpu(total: int) -> float:
    """CPU seconds per GiB for the channel's own AES-256-GCM (encrypt)."""
    aead, message = AESGCM(os.urandom(32)), os.urandom(MESSAGE)
    start = time.process_time()
    for counter in range(total // MESSAGE):
        aead.encrypt(struct.pack(">4xQ", counter), message, None)
    return (time.process_time() - start) / (total / 2**30)


def _spawn(target: Callable[..., None], *args: Any) -> tuple[Any, Connection]:
    context = multiprocessing.get_context("spawn")
    pipe, child = context.Pipe()
    process = context.Process(target=target, args=(*args, child), daemon=True)
    process.start()
    return process, pipe


# Idle sessions.


def idle_clients_process(
    cert: Path, site_key: bytes, port: int, prefix: str, sessions: int, pipe: Connection
) -> None:
    _raise_file_limit()
    site = Site(cert, site_key)

    async def hold() -> None:
        limit = asyncio.Semaphore(32)
        kept: list[tuple[ClientConnection, ...]] = []

        async def one(index: int) -> None:
            async with limit:
                kept.append(await _pair(site, port, f"{prefix}-{index}"))

        await asyncio.gather(*(one(i) for i in range(sessions)))
        pipe.send(len(kept))
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        for connection in kept:
            for ws in connection:
                ws.transport.abort()

    _run(hold())


def idle_session_kib(
    cert: Path, key: Path, site_key: Ed25519PrivateKey, sessions: int
) -> tuple[float, float]:
    gateway = GatewayProcess(cert, key, site_key)
    private = site_key.private_bytes_raw()
    try:
        # Warm up: a few sessions so first-use allocations are not counted.
        _, pipe = _spawn(idle_clients_process, cert, private, gateway.port, "warm", 20)
        pipe.recv()
        pipe.send("stop")
        time.sleep(1)
        before = gateway.rss()

        # Several client processes: each holds two descriptors per session.
        start = time.perf_counter()
        shares = [min(4000, sessions - n) for n in range(0, sessions, 4000)]
        clients = [
            _spawn(idle_clients_process, cert, private, gateway.port, f"c{n}", share)
            for n, share in enumerate(shares)
        ]
        paired = sum(pipe.recv() for _, pipe in clients)
        elapsed = time.perf_counter() - start
        time.sleep(2)
        after = gateway.rss()
        for process, pipe in clients:
            pipe.send("stop")
            process.join(30)
        assert paired == sessions
        return (after - before) / sessions / 1024, elapsed
    finally:
        gateway.stop()


def _session_capacity(wanted: int) -> int:
    """Sessions one gateway process can hold under this machine's file limit."""
    _raise_file_limit()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return min(wanted, (hard - 100) // 2)


# Main.

ROUNDS = 3
"""Turns of the relay, plain relay and splice measurements (one with --quick)."""


def throughputs(
    paths: list[str],
    cert: Path,
    site_key: Ed25519PrivateKey,
    gateways: dict[str, GatewayProcess],
    total: int,
    rounds: int,
) -> dict[str, float]:
    """Median figures of the paths ``relay`` and ``plain`` (through the
    gateways of those names) and ``splice``, measured in turns so that the
    machine's other load falls on each alike. A ratio to the splice is the
    median of the ratios within each turn."""
    runs: dict[str, list[tuple[float, float, float]]] = {path: [] for path in paths}
    for _ in range(rounds):
        for path in paths:
            if path == "splice":
                runs[path].append((splice_throughput(total), 0.0, 0.0))
            else:
                runs[path].append(
                    relay_throughput(cert, site_key, gateways[path], total)
                )
    gib = total / 2**30
    results: dict[str, float] = {}
    for path, prefix in (("relay", ""), ("plain", "plain_")):
        if path not in runs:
            continue
        mib_s, gateway_cpu, ends_cpu = zip(*runs[path], strict=True)
        results[f"{prefix}relay_mib_s"] = round(statistics.median(mib_s), 1)
        cpu = statistics.median(gateway_cpu) / gib
        results[f"{prefix}gateway_cpu_s_per_gib"] = round(cpu, 2)
        results[f"{prefix}ends_cpu_s_per_gib"] = round(
            statistics.median(ends_cpu) / gib, 2
        )
        if "splice" in runs:
            ratios = [
                run[0] / splice[0]
                for run, splice in zip(runs[path], runs["splice"], strict=True)
            ]
            results[f"{prefix}relay_vs_splice"] = round(statistics.median(ratios), 3)
    if "splice" in runs:
        splice = statistics.median(run[0] for run in runs["splice"])
        results["splice_mib_s"] = round(splice, 1)
    return results


def run_parts(parts: Iterable[str], *, quick: bool = False) -> dict[str, Any]:
    """Measure the named parts (see ``PARTS``) and return the results.

    ``run_parts(["relay", "rtt"])`` is the quick check of the relay path.
    """
    wanted = set(parts)
    unknown = wanted - set(PARTS)
    if unknown:
        raise ValueError(f"unknown parts {sorted(unknown)}; choose from {PARTS}")
    total = (32 if quick else 256) * MIB
    _raise_file_limit()
    gc.collect()
    results: dict[str, Any] = {}

    with tempfile.TemporaryDirectory() as folder:
        cert, key = self_signed_certificate(Path(folder))
        site_key = Ed25519PrivateKey.generate()

        if "idle" in wanted:
            sessions = _session_capacity(500 if quick else 10_000)
            kib, pairing_time = idle_session_kib(cert, key, site_key, sessions)
            print(
                f"idle: {sessions} sessions paired in {pairing_time:.1f} s",
                file=sys.stderr,
            )
            results.update(idle_sessions=sessions, idle_session_kib=round(kib, 1))

        paths = [path for path in ("relay", "plain", "splice") if path in wanted]
        gateways: dict[str, GatewayProcess] = {}
        try:
            if wanted & {"relay", "rtt"}:
                gateways["relay"] = GatewayProcess(cert, key, site_key)
            if "plain" in wanted:
                gateways["plain"] = GatewayProcess(cert, key, site_key, tls=False)
            rounds = 1 if quick else ROUNDS
            results.update(throughputs(paths, cert, site_key, gateways, total, rounds))
            if "rtt" in wanted:
                samples = round_trips(cert, site_key, gateways["relay"], 5000)
                results.update(
                    rtt_p50_ms=round(statistics.median(samples), 3),
                    rtt_p99_ms=round(statistics.quantiles(samples, n=100)[98], 3),
                )
        finally:
            for gateway in gateways.values():
                gateway.stop()

        if "tls" in wanted:
            results.update(
                tls_pass_cpu_s_per_gib=round(tls_pass_cpu(cert, key, total), 3),
                channel_aead_cpu_s_per_gib=round(aead_cpu(total), 3),
            )

        if "browser" in wanted:
            browser = measure_browser_mib_s(total // MIB)
            results["browser_mib_s"] = round(browser["browser_mib_s"], 1)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, for a smoke run"
    )
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts to run, from {','.join(PARTS)} (default: all)",
    )
    args = parser.parse_args()
    results = run_parts(args.only.split(","), quick=args.quick)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
