"""A peer that holds the keys but sends garbage ends the honest end's channel."""

from __future__ import annotations

import asyncio
import random
import struct
import time
from collections.abc import Awaitable, Callable

import pytest
from channel_helpers import HandDriven, Site, run_async, running_gateway, url

from lifebuoy.gateway import Gateway
from lifebuoy.protocol import ChannelClosed, ErrorCode, Role
from lifebuoy.protocol.aio import ChannelConnection, ChannelFailed

Attack = Callable[[HandDriven, ChannelConnection], Awaitable[list[bytes]]]
"""Sends something hostile; returns the messages the honest end should get."""

GARBAGE = random.Random(1).randbytes(300)
DATA = 16


async def unknown_type(peer: HandDriven, honest: ChannelConnection) -> list[bytes]:
    await peer.send(bytes([1, 0xEE, Role.TECHNICIAN, 0]) + GARBAGE)
    return []


async def random_data_frame(peer: HandDriven, honest: ChannelConnection) -> list[bytes]:
    header = struct.pack(">BBBBQQ", 1, DATA, Role.TECHNICIAN, 0, 0, 0)
    await peer.send(header + GARBAGE)
    return []


async def cut_header(peer: HandDriven, honest: ChannelConnection) -> list[bytes]:
    (frame,) = peer.seal(b"a message cut short")
    await peer.send(frame[:30])
    return []


async def cut_payload(peer: HandDriven, honest: ChannelConnection) -> list[bytes]:
    (frame,) = peer.seal(b"a message cut short" * 10)
    await peer.send(frame[:101])
    return []


async def replayed(peer: HandDriven, honest: ChannelConnection) -> list[bytes]:
    (frame,) = peer.seal(b"said once")
    await peer.send(frame, frame)
    return [b"said once"]


async def reflected(peer: HandDriven, honest: ChannelConnection) -> list[bytes]:
    await honest.send(b"from the honest end")
    frame = await peer.frame()
    assert peer.channel is not None
    peer.events += peer.channel.receive_frame(frame, time.time())
    await peer.send(frame)  # back to where it came from
    return []


@pytest.mark.parametrize(
    ("attack", "expected"),
    [
        (unknown_type, ErrorCode.MALFORMED_FRAME),
        (random_data_frame, ErrorCode.AUTHENTICATION_FAILED),
        (cut_header, ErrorCode.MALFORMED_FRAME),
        (cut_payload, ErrorCode.AUTHENTICATION_FAILED),
        (replayed, ErrorCode.REPLAYED),
        (reflected, ErrorCode.REFLECTED),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
@run_async
async def test_hostile_peer_ends_the_channel_with_the_error_and_delivers_nothing(
    site: Site, attack: Attack, expected: ErrorCode
) -> None:
    async with running_gateway(site) as gw:
        honest, peer = await asyncio.gather(
            site.end([url(gw)], "s-1", Role.CUSTOMER), _hostile_technician(site, gw)
        )
        legitimate = await attack(peer, honest)

        delivered, failed = await _receive_until_failed(honest)
        assert failed.error is expected
        assert not failed.closed.by_peer
        assert delivered == legitimate

        # The peer is told why, in an authenticated close; the session is over.
        assert await peer.close_code() == 1000
        closed = [e for e in peer.events if isinstance(e, ChannelClosed)]
        assert [(c.code, c.by_peer) for c in closed] == [(expected, True)]


@run_async
async def test_garbage_instead_of_a_hello_fails_the_handshake(site: Site) -> None:
    async with running_gateway(site) as gw:
        peer = await HandDriven.join(
            site, gw, Role.TECHNICIAN, site.ticket("s-1", Role.TECHNICIAN)
        )
        honest = asyncio.create_task(site.end([url(gw)], "s-1", Role.CUSTOMER))
        await peer.frame()  # the customer's commit
        await peer.send(bytes([1, 2, Role.TECHNICIAN, 0]) + GARBAGE)

        with pytest.raises(ChannelFailed) as failed:
            await honest
        assert failed.value.error is ErrorCode.MALFORMED_FRAME
        assert await peer.close_code() == 1000  # no keys yet: no close frame


async def _hostile_technician(site: Site, gw: Gateway) -> HandDriven:
    channel = site.channel("s-1", Role.TECHNICIAN)
    ticket = site.ticket("s-1", Role.TECHNICIAN)
    peer = await HandDriven.join(site, gw, Role.TECHNICIAN, ticket, channel)
    await peer.handshake()
    return peer


async def _receive_until_failed(
    connection: ChannelConnection,
) -> tuple[list[bytes], ChannelFailed]:
    delivered = []
    try:
        async for message in connection:
            delivered.append(message)
    except ChannelFailed as exc:
        return delivered, exc
    raise AssertionError("the channel ended cleanly")
