"""Somebody without the channel keys cannot join, resume or speak in a session."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import struct

import pytest
from channel_helpers import (
    HandDriven,
    Site,
    kill_transport,
    run_async,
    running_gateway,
    url,
)

from lifebuoy import gateway
from lifebuoy.protocol import ErrorCode, Role
from lifebuoy.protocol.aio import ChannelConnection, ChannelFailed

RESUME, DATA = 33, 16


async def _exchange(
    customer: ChannelConnection, technician: ChannelConnection, text: bytes
) -> None:
    await customer.send(b"c: " + text)
    await technician.send(b"t: " + text)
    assert await technician.receive() == b"c: " + text
    assert await customer.receive() == b"t: " + text


@run_async
async def test_gateway_refuses_strangers_without_a_valid_ticket(site: Site) -> None:
    async with running_gateway(site, ticket_timeout=0.3) as gw:
        customer, technician = await site.pair([url(gw)], "s-1")

        silent = await HandDriven.join(site, gw, Role.CUSTOMER, ticket=None)
        assert await silent.close_code() == 4004
        forger = Site(site.cert_file, site.key_file)  # another signing key
        forged = await HandDriven.join(
            site, gw, Role.CUSTOMER, forger.ticket("s-1", Role.CUSTOMER)
        )
        assert await forged.close_code() == 4000
        garbage = await HandDriven.join(site, gw, Role.TECHNICIAN, "x" * 300)
        assert await garbage.close_code() == 4000

        await _exchange(customer, technician, b"unharmed")
        await customer.close()


@run_async
async def test_a_ticket_for_another_session_reaches_nobody(site: Site) -> None:
    gate = asyncio.Event()
    gate.set()
    async with running_gateway(site) as gw:
        customer = site.end([url(gw)], "s-1", Role.CUSTOMER, gate=gate)
        technician = site.end([url(gw)], "s-1", Role.TECHNICIAN)
        customer, technician = await asyncio.gather(customer, technician)

        # The customer drops and stays away; a stranger holds a valid customer
        # ticket, but for another session.
        gate.clear()
        kill_transport(customer)
        stranger = await HandDriven.join(
            site, gw, Role.CUSTOMER, site.ticket("s-other", Role.CUSTOMER)
        )
        assert json.loads(await stranger.notice()) == {"type": "waiting"}
        await stranger.send(os.urandom(100))
        await technician.send(b"while the customer is away")
        with contextlib.suppress(TimeoutError):
            unexpected = await stranger.frame(timeout=0.3)
            raise AssertionError(f"the stranger got {unexpected!r}")

        gate.set()  # the real customer comes back and resumes
        assert await customer.receive() == b"while the customer is away"
        await _exchange(customer, technician, b"after the stranger")
        await customer.close()


def _forged_resume() -> bytes:
    header = struct.pack(">BBBBQQ", 1, RESUME, Role.CUSTOMER, 0, 1000, 0)
    return header + os.urandom(16)


@pytest.mark.parametrize(
    ("attack", "expected"),
    [("forged", ErrorCode.AUTHENTICATION_FAILED), ("replayed", ErrorCode.REPLAYED)],
)
@run_async
async def test_a_ticket_holder_without_the_keys_cannot_resume_the_channel(
    site: Site, attack: str, expected: ErrorCode
) -> None:
    seen: list[tuple[gateway.Role, bytes | str]] = []
    gate = asyncio.Event()
    gate.set()
    async with running_gateway(site, tap=lambda *m: seen.append(m)) as gw:
        customer = site.end([url(gw)], "s-1", Role.CUSTOMER, gate=gate)
        technician = site.end([url(gw)], "s-1", Role.TECHNICIAN)
        customer, technician = await asyncio.gather(customer, technician)
        await _exchange(customer, technician, b"before")

        # One honest drop and resume, so that the gateway has seen a RESUME.
        kill_transport(customer)
        await _exchange(customer, technician, b"after a first drop")
        captured = [
            m
            for role, m in seen
            if role is gateway.Role.CUSTOMER and isinstance(m, bytes) and len(m) > 1
        ]
        resumes = [frame for frame in captured if frame[1] == RESUME]
        data = [frame for frame in captured if frame[1] == DATA]
        assert resumes
        assert data

        # The customer drops again and stays away. The attacker takes its seat
        # with a valid customer ticket for this session (stolen, or issued to
        # it by mistake) and tries to resume with what the gateway saw.
        gate.clear()
        kill_transport(customer)
        attacker = await HandDriven.join(
            site, gw, Role.CUSTOMER, site.ticket("s-1", Role.CUSTOMER)
        )
        notice = await attacker.notice()
        while json.loads(notice)["type"] != "paired":  # after the gateway saw the drop
            notice = await attacker.notice()
        if attack == "forged":
            await attacker.send(*data, _forged_resume())
        else:
            await attacker.send(*data, resumes[-1])

        with pytest.raises(ChannelFailed) as failed:
            await technician.receive()
        assert failed.value.error is expected
        assert not failed.value.closed.by_peer
        assert await attacker.close_code() == 1000  # the session is over
        closing = await customer.close(timeout=0.1)
        assert not closing.clean
