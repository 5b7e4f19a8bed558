"""Every refusal ends with its own close code (or HTTP status at handshake)."""

from __future__ import annotations

import asyncio
import time

import pytest
from gateway_helpers import SITE_ORIGIN, Setup, close_code, notice, run_async
from websockets.exceptions import InvalidStatus

from lifebuoy.gateway import Gateway, Role


@run_async
async def test_gateway_refuses_a_bad_ticket_with_4000(setup: Setup) -> None:
    async with Gateway(setup.config()) as gateway:
        ws = await setup.open(gateway, Role.CUSTOMER)
        await ws.send("not-a-ticket")
        assert await close_code(ws) == 4000


@run_async
async def test_gateway_refuses_a_ticket_from_another_key_with_4000(
    setup: Setup,
) -> None:
    stranger = Setup(setup.cert_file, setup.key_file)
    async with Gateway(setup.config()) as gateway:
        ws = await setup.open(gateway, Role.CUSTOMER)
        await ws.send(stranger.ticket("s-1", Role.CUSTOMER))
        assert await close_code(ws) == 4000


@run_async
async def test_gateway_refuses_a_binary_first_message_with_4000(setup: Setup) -> None:
    async with Gateway(setup.config()) as gateway:
        ws = await setup.open(gateway, Role.CUSTOMER)
        await ws.send(setup.ticket("s-1", Role.CUSTOMER).encode())
        assert await close_code(ws) == 4000


@run_async
async def test_gateway_refuses_an_expired_ticket_with_4001(setup: Setup) -> None:
    async with Gateway(setup.config()) as gateway:
        ws = await setup.open(gateway, Role.CUSTOMER)
        await ws.send(setup.ticket("s-1", Role.CUSTOMER, now=time.time() - 600))
        assert await close_code(ws) == 4001


@run_async
async def test_gateway_refuses_a_ticket_on_the_wrong_endpoint_with_4002(
    setup: Setup,
) -> None:
    async with Gateway(setup.config()) as gateway:
        ws = await setup.open(gateway, Role.TECHNICIAN)
        await ws.send(setup.ticket("s-1", Role.CUSTOMER))
        assert await close_code(ws) == 4002


@run_async
async def test_gateway_refuses_a_second_connection_for_a_role_with_4003(
    setup: Setup,
) -> None:
    async with Gateway(setup.config()) as gateway:
        first = await setup.join(gateway, "s-1", Role.CUSTOMER)
        assert (await notice(first))["type"] == "waiting"

        second = await setup.join(gateway, "s-1", Role.CUSTOMER)
        assert await close_code(second) == 4003
        await first.ping()  # the first one is unharmed


@run_async
async def test_gateway_closes_with_4004_when_no_ticket_comes(setup: Setup) -> None:
    async with Gateway(setup.config(ticket_timeout=0.2)) as gateway:
        ws = await setup.open(gateway, Role.CUSTOMER)
        assert await close_code(ws) == 4004


@run_async
async def test_gateway_limits_connections_per_address_with_4005(
    setup: Setup,
) -> None:
    async with Gateway(setup.config(max_connections_per_address=2)) as gateway:
        kept = [await setup.open(gateway, Role.CUSTOMER) for _ in range(2)]
        third = await setup.open(gateway, Role.CUSTOMER)
        assert await close_code(third) == 4005

        await kept[0].close()
        await asyncio.sleep(0.1)
        fourth = await setup.join(gateway, "s-1", Role.CUSTOMER)
        assert (await notice(fourth))["type"] == "waiting"


@run_async
async def test_gateway_closes_a_waiting_end_with_4006_after_the_hold(
    setup: Setup,
) -> None:
    async with Gateway(setup.config(hold_timeout=0.3)) as gateway:
        ws = await setup.join(gateway, "s-1", Role.CUSTOMER)
        assert (await notice(ws))["type"] == "waiting"
        assert await close_code(ws) == 4006


@run_async
async def test_gateway_refuses_text_after_the_ticket_with_4008(setup: Setup) -> None:
    async with Gateway(setup.config()) as gateway:
        ws = await setup.join(gateway, "s-1", Role.CUSTOMER)
        await notice(ws)
        await ws.send('{"type": "hello"}')
        assert await close_code(ws) == 4008


@run_async
async def test_gateway_closes_oversized_frames_with_1009(setup: Setup) -> None:
    async with Gateway(setup.config(max_message_size=64 * 1024)) as gateway:
        customer = await setup.join(gateway, "s-1", Role.CUSTOMER)
        technician = await setup.join(gateway, "s-1", Role.TECHNICIAN)
        await notice(customer)
        await notice(customer)
        await notice(technician)

        await customer.send(bytes(64 * 1024))  # at the limit: forwarded
        assert await technician.recv() == b"\x00" * 64 * 1024
        await customer.send(bytes(64 * 1024 + 1))
        assert await close_code(customer) == 1009


@run_async
async def test_gateway_refuses_a_foreign_origin_with_403(setup: Setup) -> None:
    async with Gateway(setup.config()) as gateway:
        with pytest.raises(InvalidStatus) as caught:
            await setup.open(gateway, Role.TECHNICIAN, origin="https://evil.example")
        assert caught.value.response.status_code == 403

        allowed = await setup.join(gateway, "s-1", Role.TECHNICIAN, origin=SITE_ORIGIN)
        assert (await notice(allowed))["type"] == "waiting"


@run_async
async def test_gateway_answers_404_on_unknown_paths(setup: Setup) -> None:
    async with Gateway(setup.config()) as gateway:
        with pytest.raises(InvalidStatus) as caught:
            await setup.open(gateway, "admin")  # type: ignore[arg-type]
        assert caught.value.response.status_code == 404
