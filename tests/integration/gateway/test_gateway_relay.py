"""Pairing, forwarding, keepalive, resumption and backpressure over real TLS."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tracemalloc

from gateway_helpers import Setup, close_code, notice, run_async

from lifebuoy.gateway import CallbackReporter, Gateway, Role, SessionEvent


async def _pair(
    setup: Setup, gateway: Gateway, session_id: str = "s-1", **kwargs: object
) -> tuple[object, object]:
    customer = await setup.join(gateway, session_id, Role.CUSTOMER, **kwargs)
    assert (await notice(customer))["type"] == "waiting"
    technician = await setup.join(gateway, session_id, Role.TECHNICIAN)
    assert (await notice(customer))["type"] == "paired"
    assert (await notice(technician))["type"] == "paired"
    return customer, technician


@run_async
async def test_gateway_pairs_and_forwards_both_ways(setup: Setup) -> None:
    seen: list[tuple[Role, bytes | str]] = []
    events: list[SessionEvent] = []
    reporter = CallbackReporter(events.append)
    async with Gateway(setup.config(), reporter, tap=lambda *m: seen.append(m)) as gw:
        customer, technician = await _pair(setup, gw)

        await customer.send(b"from customer")  # type: ignore[attr-defined]
        assert await technician.recv() == b"from customer"  # type: ignore[attr-defined]
        await technician.send(bytes(range(256)) * 4096)  # type: ignore[attr-defined]
        assert await customer.recv() == bytes(range(256)) * 4096  # type: ignore[attr-defined]
        await customer.close()  # type: ignore[attr-defined]
        assert await close_code(technician) == 1000  # type: ignore[arg-type]
        await asyncio.sleep(0.05)

    frames = [(role, m) for role, m in seen if isinstance(m, bytes)]
    assert frames == [
        (Role.CUSTOMER, b"from customer"),
        (Role.TECHNICIAN, bytes(range(256)) * 4096),
    ]
    assert [e.kind for e in events] == ["waiting", "paired", "left", "closed"]
    assert events[-1].reason == "ended-by-customer"
    assert (events[-1].bytes_from_customer, events[-1].bytes_from_technician) == (
        13,
        2**20,
    )


@run_async
async def test_gateway_keeps_idle_sessions_alive_with_pings(setup: Setup) -> None:
    config = setup.config(ping_interval=0.1, ping_timeout=0.3)
    async with Gateway(config) as gateway:
        customer, technician = await _pair(setup, gateway)
        await asyncio.sleep(1.0)  # many ping intervals, nothing sent by the ends

        await customer.send(b"still here")  # type: ignore[attr-defined]
        assert await technician.recv() == b"still here"  # type: ignore[attr-defined]


@run_async
async def test_gateway_closes_a_dead_peer_and_tells_the_other(setup: Setup) -> None:
    config = setup.config(
        ping_interval=0.1, ping_timeout=0.2, close_timeout=0.2, resume_grace=5
    )
    async with Gateway(config) as gateway:
        customer, technician = await _pair(setup, gateway)

        # The technician's machine stops answering: no pongs any more.
        technician.transport.pause_reading()  # type: ignore[attr-defined]

        left = await notice(customer)  # type: ignore[arg-type]
        assert left == {"type": "peer-left", "resumable": True}
        technician.transport.abort()  # type: ignore[attr-defined]


@run_async
async def test_gateway_resumes_a_session_after_an_end_drops(setup: Setup) -> None:
    events: list[SessionEvent] = []
    config = setup.config(resume_grace=5)
    async with Gateway(config, CallbackReporter(events.append)) as gateway:
        customer, technician = await _pair(setup, gateway)

        technician.transport.abort()  # type: ignore[attr-defined]
        left = await notice(customer)  # type: ignore[arg-type]
        assert left == {"type": "peer-left", "resumable": True}

        returned = await setup.join(gateway, "s-1", Role.TECHNICIAN)
        assert (await notice(returned))["type"] == "paired"
        assert (await notice(customer))["type"] == "peer-returned"  # type: ignore[arg-type]

        await customer.send(b"after resume")  # type: ignore[attr-defined]
        assert await returned.recv() == b"after resume"
        await returned.send(b"and back")
        assert await customer.recv() == b"and back"  # type: ignore[attr-defined]

    kinds = [e.kind for e in events]
    assert kinds[:4] == ["waiting", "paired", "left", "returned"]


@run_async
async def test_gateway_ends_the_session_when_the_peer_does_not_return(
    setup: Setup,
) -> None:
    async with Gateway(setup.config(resume_grace=0.3)) as gateway:
        customer, technician = await _pair(setup, gateway)

        technician.transport.abort()  # type: ignore[attr-defined]
        assert (await notice(customer))["type"] == "peer-left"  # type: ignore[arg-type]
        assert await close_code(customer) == 4007  # type: ignore[arg-type]


@run_async
async def test_gateway_does_not_let_a_ticket_for_another_session_join(
    setup: Setup,
) -> None:
    async with Gateway(setup.config()) as gateway:
        customer, technician = await _pair(setup, gateway)
        stranger = await setup.join(gateway, "s-other", Role.TECHNICIAN)
        assert (await notice(stranger))["type"] == "waiting"

        await customer.send(b"private")  # type: ignore[attr-defined]
        assert await technician.recv() == b"private"  # type: ignore[attr-defined]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.2):
                unexpected = await stranger.recv()
                raise AssertionError(f"stranger got {unexpected!r}")


@run_async
async def test_gateway_backpressure_bounds_what_it_buffers(setup: Setup) -> None:
    frame = bytes(2**20)
    config = setup.config(max_queue=2, write_limit=2**16, close_timeout=0.2)
    async with Gateway(config) as gateway:
        customer, technician = await _pair(setup, gateway)
        # The technician stops reading after its first frame.
        technician.transport.pause_reading()  # type: ignore[attr-defined]

        sent = 0
        highest = 0
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(3):
                for _ in range(256):
                    await customer.send(frame)  # type: ignore[attr-defined]
                    sent += 1
                    highest = max(highest, gateway.buffered_bytes())
        await asyncio.sleep(0.5)
        highest = max(highest, gateway.buffered_bytes())

        # The customer was made to wait long before sending 256 MiB, and the
        # gateway never held more than a couple of frames.
        print(f"sent {sent} MiB, gateway held at most {highest} bytes")
        assert sent < 64
        assert highest <= 3 * 2**20
        technician.transport.abort()  # type: ignore[attr-defined]
        customer.transport.abort()  # type: ignore[attr-defined]


@run_async
async def test_gateway_keeps_no_message_once_a_session_is_idle(setup: Setup) -> None:
    message = os.urandom(2**20)
    tracemalloc.start(32)
    try:
        async with Gateway(setup.config()) as gateway:
            customer, technician = await _pair(setup, gateway)
            await customer.send(message)  # type: ignore[attr-defined]
            assert await technician.recv() == message  # type: ignore[attr-defined]
            await technician.send(message)  # type: ignore[attr-defined]
            assert await customer.recv() == message  # type: ignore[attr-defined]
            await asyncio.sleep(0.05)
            held = [
                trace
                for trace in tracemalloc.take_snapshot().traces
                if trace.size >= 2**19 and _received_by_the_gateway(trace)
            ]
    finally:
        tracemalloc.stop()
    # Each idle end used to keep the last message it sent (1 MiB): in the
    # relaying coroutine and in websockets' parser.
    assert held == []


def _received_by_the_gateway(trace: tracemalloc.Trace) -> bool:
    """Allocated while the gateway's side parsed a frame (the clients' side
    parses in websockets/client.py)."""
    server = os.path.join("websockets", "server.py")
    return any(frame.filename.endswith(server) for frame in trace.traceback)
