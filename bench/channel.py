"""Gateway benchmark: throughput, round trip, idle memory and CPU per GiB.

Run from the repository root::

    .venv/bin/python bench/channel.py [--quick]

The gateway runs in its own process (uvloop when installed), on loopback with
TLS, so its memory and CPU can be read with psutil; the clients run in this
process, or in a helper process for the idle sessions. The last line printed
is one JSON object.

Frames are encrypted with AES-256-GCM from ``cryptography`` directly
("raw-aesgcm"): ``lifebuoy.protocol`` has no public API yet. The cost per
frame is the same as the channel's bulk records (one AES-GCM seal and open).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import ipaddress
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
from collections.abc import Callable, Coroutine
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psutil
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from websockets.asyncio.client import ClientConnection, connect

from lifebuoy.gateway import (
    Gateway,
    GatewayConfig,
    Limits,
    Role,
    issue_ticket,
)

MIB = 2**20
FRAME = MIB


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


def _make_tls(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert, private = folder / "cert.pem", folder / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, private


class Site:
    """What a client needs: the TLS trust anchor and a ticket-signing key."""

    def __init__(self, cert: Path, site_key: bytes) -> None:
        self.cert = cert
        self.key = Ed25519PrivateKey.from_private_bytes(site_key)
        self.ssl = ssl.create_default_context(cafile=str(cert))

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


async def _pair(site: Site, port: int, session_id: str) -> tuple[ClientConnection, ...]:
    customer = await site.join(port, session_id, Role.CUSTOMER)
    await customer.recv()  # waiting
    technician = await site.join(port, session_id, Role.TECHNICIAN)
    await customer.recv()  # paired
    await technician.recv()  # paired
    return customer, technician


# The gateway process.


def gateway_process(cert: Path, key: Path, public_key: bytes, pipe: Connection) -> None:
    _raise_file_limit()
    limits = Limits(max_connections_per_address=100_000, max_connections=100_000)
    config = GatewayConfig(
        site_keys={"k1": _public_key(public_key)},
        host="127.0.0.1",
        port=0,
        tls_cert=cert,
        tls_key=key,
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

    def __init__(self, cert: Path, key: Path, site_key: Ed25519PrivateKey) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        public = site_key.public_key().public_bytes_raw()
        self._process = context.Process(
            target=gateway_process, args=(cert, key, public, child), daemon=True
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


# Relay throughput, CPU and round trip.


async def relay_throughput(site: Site, port: int, total: int) -> float:
    customer, technician = await _pair(site, port, "bulk")
    sealing, opening = AESGCM(os.urandom(32)), None
    key_for_reader = sealing
    plaintext = os.urandom(FRAME - 28)
    frames = total // FRAME

    async def send() -> None:
        for counter in range(frames):
            nonce = struct.pack(">4xQ", counter)
            await customer.send(nonce + sealing.encrypt(nonce, plaintext, None))

    async def receive() -> None:
        for counter in range(frames):
            frame = await technician.recv()
            assert isinstance(frame, bytes)
            nonce = struct.pack(">4xQ", counter)
            assert frame[:12] == nonce
            key_for_reader.decrypt(nonce, frame[12:], None)

    del opening
    start = time.perf_counter()
    await asyncio.gather(send(), receive())
    elapsed = time.perf_counter() - start
    await customer.close()
    await technician.close()
    return frames * FRAME / MIB / elapsed


async def round_trips(site: Site, port: int, count: int) -> list[float]:
    customer, technician = await _pair(site, port, "rtt")

    async def echo() -> None:
        async for message in technician:
            await technician.send(message)

    echoing = asyncio.create_task(echo())
    message = os.urandom(64)
    samples = []
    for index in range(count + 200):
        start = time.perf_counter()
        await customer.send(message)
        await customer.recv()
        if index >= 200:  # warm-up
            samples.append((time.perf_counter() - start) * 1000)
    echoing.cancel()
    await customer.close()
    await technician.close()
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


async def splice_throughput(port: int, total: int) -> float:
    sealing = AESGCM(os.urandom(32))
    plaintext = os.urandom(FRAME - 28)
    frames = total // FRAME
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    await asyncio.sleep(0.1)  # the splice takes the first connection as source
    reader, _ = await asyncio.open_connection("127.0.0.1", port)

    async def send() -> None:
        for counter in range(frames):
            nonce = struct.pack(">4xQ", counter)
            frame = nonce + sealing.encrypt(nonce, plaintext, None)
            writer.write(struct.pack(">I", len(frame)) + frame)
            await writer.drain()

    async def receive() -> None:
        for counter in range(frames):
            (length,) = struct.unpack(">I", await reader.readexactly(4))
            frame = await reader.readexactly(length)
            nonce = struct.pack(">4xQ", counter)
            sealing.decrypt(nonce, frame[12:], None)

    start = time.perf_counter()
    await asyncio.gather(send(), receive())
    elapsed = time.perf_counter() - start
    writer.close()
    return frames * FRAME / MIB / elapsed


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, for a smoke run"
    )
    args = parser.parse_args()
    total = (32 if args.quick else 256) * MIB
    sessions = _session_capacity(500 if args.quick else 10_000)
    _raise_file_limit()
    gc.collect()

    with tempfile.TemporaryDirectory() as folder:
        cert, key = _make_tls(Path(folder))
        site_key = Ed25519PrivateKey.generate()
        site = Site(cert, site_key.private_bytes_raw())
        results: dict[str, Any] = {
            "encryption": "raw-aesgcm",
            "idle_sessions": sessions,
        }

        kib, pairing_time = idle_session_kib(cert, key, site_key, sessions)
        print(
            f"idle: {sessions} sessions paired in {pairing_time:.1f} s", file=sys.stderr
        )

        gateway = GatewayProcess(cert, key, site_key)
        try:
            cpu_before = gateway.cpu()
            relay = _run(relay_throughput(site, gateway.port, total))
            cpu = gateway.cpu() - cpu_before
            samples = _run(round_trips(site, gateway.port, 5000))
        finally:
            gateway.stop()

        splicer, pipe = _spawn(splice_process)
        splice = _run(splice_throughput(pipe.recv(), total))
        splicer.kill()

        quantiles = statistics.quantiles(samples, n=100)
        results.update(
            relay_mib_s=round(relay, 1),
            relay_vs_splice=round(relay / splice, 3),
            splice_mib_s=round(splice, 1),
            rtt_p50_ms=round(statistics.median(samples), 3),
            rtt_p99_ms=round(quantiles[98], 3),
            idle_session_kib=round(kib, 1),
            gateway_cpu_s_per_gib=round(cpu / (total / 2**30), 2),
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
