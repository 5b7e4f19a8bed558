"""``lifebuoy serve`` runs the gateway in the same process: tickets signed by
the site's key admit both ends, frames pass, and the gateway's reports land in
the site's database."""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
import websockets

from lifebuoy.testing.livesite import LiveSite, start_site

pytestmark = pytest.mark.slow

_SITE_SCRIPT = """
import django, json, sys
django.setup()
from lifebuoy.site.signing.issue import gateway_ticket
from lifebuoy.site.relay.models import RelayEvent
if sys.argv[1] == "tickets":
    print(json.dumps({role: gateway_ticket("s-1", role, role + "-1")
                      for role in ("customer", "technician")}))
else:
    print(json.dumps(list(RelayEvent.objects.values_list("kind", "source"))))
"""


def _site_python(site: LiveSite, what: str) -> object:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lifebuoy.site.settings",
        "LIFEBUOY_SITE_DATA_DIR": str(site.data_dir),
    }
    done = subprocess.run(
        [sys.executable, "-c", _SITE_SCRIPT, what],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


async def _exchange(port: int, ca: Path, tickets: dict[str, str]) -> bytes:
    context = ssl.create_default_context(cafile=str(ca))
    base = f"wss://127.0.0.1:{port}/v1"

    async def join(role: str) -> websockets.ClientConnection:
        conn = await websockets.connect(f"{base}/{role}", ssl=context, compression=None)
        await conn.send(tickets[role])
        return conn

    customer = await join("customer")
    assert json.loads(await customer.recv())["type"] == "waiting"
    technician = await join("technician")
    assert json.loads(await technician.recv())["type"] == "paired"
    assert json.loads(await customer.recv())["type"] == "paired"
    await technician.send(b"\x01opaque frame")
    received = await customer.recv()
    await technician.close()
    await customer.close()
    assert isinstance(received, bytes)
    return received


def test_serve_embeds_a_gateway_that_admits_site_tickets(tmp_path: Path) -> None:
    with start_site(tmp_path / "var") as site:
        tickets = _site_python(site, "tickets")
        assert isinstance(tickets, dict)
        port = int(site.env["LIFEBUOY_GATEWAY_PORT"])
        received = asyncio.run(_exchange(port, site.ca_file, tickets))
        assert received == b"\x01opaque frame"

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            kinds = _site_python(site, "events")
            assert isinstance(kinds, list)
            if ["closed", "embedded"] in kinds:
                break
            time.sleep(0.2)
        assert ["paired", "embedded"] in kinds
        assert ["closed", "embedded"] in kinds
