"""How quickly the ends learn that their gateway is going away."""

from __future__ import annotations

import asyncio
import contextlib
import time

from channel_helpers import HandDriven, Site, run_async, running_gateway

from lifebuoy.protocol import Role


@run_async
async def test_gateway_stop_releases_busy_ends_at_once(site: Site) -> None:
    cm = running_gateway(site, close_timeout=3)
    gw = await cm.__aenter__()
    customer = await HandDriven.join(
        site, gw, Role.CUSTOMER, site.ticket("s-1", Role.CUSTOMER)
    )
    await customer.notice()  # waiting
    technician = await HandDriven.join(
        site, gw, Role.TECHNICIAN, site.ticket("s-1", Role.TECHNICIAN)
    )
    await customer.notice()  # paired
    await technician.notice()  # paired

    # Both ends send 1 MiB messages and read everything, as fast as they can.
    async def send(end: HandDriven) -> None:
        with contextlib.suppress(Exception):
            while True:
                await end.websocket.send(bytes(2**20))

    async def read(end: HandDriven) -> None:
        with contextlib.suppress(Exception):
            while True:
                await end.websocket.recv()

    ends = (customer, technician)
    busy = [asyncio.create_task(f(end)) for f in (send, read) for end in ends]
    await asyncio.sleep(0.5)

    start = time.perf_counter()
    await cm.__aexit__(None, None, None)
    elapsed = time.perf_counter() - start
    for task in busy:
        task.cancel()
    assert elapsed < 1.0, f"the gateway took {elapsed:.1f} s to let its ends go"
