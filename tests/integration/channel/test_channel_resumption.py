"""Transports drop and gateways restart mid-stream; the channel loses nothing."""

from __future__ import annotations

import asyncio
import random

import pytest
from channel_helpers import (
    Site,
    kill_transport,
    run_async,
    running_gateway,
    until,
    url,
)

from lifebuoy.gateway import CallbackReporter, SessionEvent
from lifebuoy.protocol import ErrorCode, Role
from lifebuoy.protocol.aio import ChannelConnection
from lifebuoy.testing.livesite import free_port

COUNT = 2000


def numbered(index: int, role: Role) -> bytes:
    """Message ``index`` from ``role``: its number, then filler of varying size."""
    size = random.Random(index * 2 + role).randrange(0, 24_000)
    return b"%s %06d " % (role.label.encode(), index) + bytes(size)


class Stream:
    """Both ends send COUNT numbered messages and record what they receive."""

    def __init__(self, customer: ChannelConnection, technician: ChannelConnection):
        self.ends = {Role.CUSTOMER: customer, Role.TECHNICIAN: technician}
        self.received: dict[Role, list[bytes]] = {role: [] for role in Role}

    async def run(self) -> None:
        await asyncio.gather(
            *(self._send(role) for role in Role),
            *(self._receive(role) for role in Role),
        )

    async def _send(self, role: Role) -> None:
        for index in range(COUNT):
            await self.ends[role].send(numbered(index, role))

    async def _receive(self, role: Role) -> None:
        while len(self.received[role]) < COUNT:
            self.received[role].append(await self.ends[role].receive())

    def check(self) -> None:
        for role in Role:
            expected = [numbered(i, role.peer) for i in range(COUNT)]
            got = self.received[role]
            assert len(got) == COUNT, f"{role.label} got {len(got)} messages"
            assert got == expected, f"{role.label} got messages out of order or altered"


async def _close_both(
    customer: ChannelConnection, technician: ChannelConnection
) -> None:
    closed = await customer.close("done")
    assert (closed.clean, closed.code) == (True, ErrorCode.NORMAL)
    assert (await technician.wait_closed()).clean


@pytest.mark.parametrize("dropped", [Role.CUSTOMER, Role.TECHNICIAN])
@run_async
async def test_channel_resumes_without_loss_after_a_transport_drop(
    site: Site, dropped: Role
) -> None:
    events: list[SessionEvent] = []
    async with running_gateway(site, reporter=CallbackReporter(events.append)) as gw:
        customer, technician = await site.pair([url(gw)], "s-drop")
        code = customer.comparison_code
        stream = Stream(customer, technician)
        running = asyncio.create_task(stream.run())

        # Mid-stream, in both directions, the dropped end's WebSocket dies.
        await until(lambda: min(map(len, stream.received.values())) >= COUNT // 3)
        kill_transport(stream.ends[dropped])
        await running
        stream.check()
        await _close_both(customer, technician)

    assert site.tickets_issued[dropped] == 2  # a fresh ticket to come back
    assert [e.kind for e in events if e.kind in ("left", "returned")][:2] == [
        "left",
        "returned",
    ]
    assert technician.comparison_code == code


@run_async
async def test_channel_moves_to_the_next_gateway_when_its_gateway_stops(
    site: Site,
) -> None:
    second_port = free_port()
    second_url = f"wss://127.0.0.1:{second_port}"
    first = running_gateway(site)
    gw = await first.__aenter__()
    urls = [url(gw), second_url]
    customer, technician = await site.pair(urls, "s-restart")
    stream = Stream(customer, technician)
    running = asyncio.create_task(stream.run())

    # The first gateway goes away mid-stream; a second one starts a bit later.
    await until(lambda: min(map(len, stream.received.values())) >= COUNT // 3)
    await first.__aexit__(None, None, None)
    await asyncio.sleep(0.3)
    async with running_gateway(site, second_port):
        await running
        stream.check()
        assert customer.gateway_url == technician.gateway_url == second_url
        await _close_both(customer, technician)
    assert min(site.tickets_issued.values()) >= 2  # fresh tickets to move
