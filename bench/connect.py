"""Connect and chat benchmark: a real applet, the Python client, a real site.

Run from the repository root::

    .venv/bin/python bench/connect.py [--runs 20] [--lines 200]

It starts ``lifebuoy serve`` in a temporary folder and logs in as tech1 with
``lifebuoy.client.SiteClient``. Each run makes a PIN, downloads the session
file through ``/support/`` as a browser does, then starts the clock and
``lifebuoy-applet --terminal FILE``. The client polls its queue every 10 ms
until the customer is present, picks the session up, and the clock stops once
both ends know the same comparison code (the later of the two). Then the
technician ends the session. The site lets a technician ask for 20 PINs an
hour: so at most 20 runs, and tech2 does the round trips.

Figures (seconds unless named otherwise):

- ``connect_p50_s``, ``connect_p99_s``: applet start to matching codes (over
  20 runs the p99 is the slowest run).
- ``client_code_s``, ``applet_code_s``: when each end knew the code (p50).
- ``applet_first_line_s``: to the applet's first printed line (interpreter,
  imports, reading the file); ``applet_start_s``: to its ``Waiting`` line
  (plus the site's join); ``queue_seen_s``: until the client's queue shows
  the customer; ``pickup_s``: the client's ``pickup`` call (site, gateway,
  handshake). All p50.
- ``chat_rtt_p50_ms``, ``chat_rtt_p99_ms``: in one more session, the client
  sends a chat line and waits for the applet's ``delivered``, ``--lines``
  times, one at a time.
- ``channel_rtt_p50_ms``, ``channel_rtt_p99_ms``: the baseline, in the same
  run: the same exchange through the same gateway, with a bare
  ``lifebuoy.protocol.aio`` end in this process as the customer (no applet
  process, no user interface) answering each line with ``delivered``.

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from lifebuoy.client import Delivered, SessionClosed, SiteClient, TechnicianSession
from lifebuoy.protocol import Channel, Role
from lifebuoy.protocol.aio import ChannelConnection, ChannelEnded, connect
from lifebuoy.testing.livesite import LiveSite, start_site

CONNECTING, CHATTING = "tech1@demo.lifebuoy.test", "tech2@demo.lifebuoy.test"
"""Two technicians: the site lets one ask for 20 PINs an hour."""
MOST_RUNS = 20
POLL_S = 0.01
"""How often the client asks for its queue while it waits for the customer."""
_CODE = re.compile(r"^Comparison code: (\d{3} \d{3})$")


# The customer: the customer pages, a real applet, a bare channel end.

APPLET = Path(sys.executable).with_name("lifebuoy-applet")
_FORM_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


async def fetch_session_file(site: LiveSite, pin: str, folder: Path) -> Path:
    """Enter the PIN on ``/support/`` and download the session file."""
    trust = ssl.create_default_context(cafile=str(site.ca_file))
    async with httpx.AsyncClient(base_url=site.url, verify=trust) as browser:
        form = await browser.get("/support/")
        token = _FORM_TOKEN.search(form.text)
        assert token is not None, form.text[:500]
        entered = await browser.post(
            "/support/",
            data={"pin": pin, "name": "Bench", "csrfmiddlewaretoken": token[1]},
            headers={"Referer": f"{site.url}/support/", "Origin": site.url},
        )
        assert entered.status_code == 302, entered.text[:500]
        download = await browser.get("/support/ready/lifebuoy.lifebuoy")
        assert download.status_code == 200, download.text[:500]
    path = folder / f"lifebuoy-{pin}.lifebuoy"
    path.write_bytes(download.content)
    return path


class AppletProcess:
    """``lifebuoy-applet --terminal FILE``; a thread stamps each line it prints
    with the time it came, so that a busy event loop does not delay it."""

    def __init__(self, file: Path, state_dir: Path) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DISPLAY", "WAYLAND_DISPLAY")
        }
        env["LIFEBUOY_APPLET_STATE_DIR"] = str(state_dir)
        self._loop = asyncio.get_running_loop()
        self._more = asyncio.Event()
        self.lines: list[tuple[float, str]] = []
        """(time.perf_counter(), line) of every line printed so far."""
        self.ended = False
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [str(APPLET), "--terminal", "--keep-file", str(file)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            stamped = (time.perf_counter(), line.rstrip("\n"))
            self._loop.call_soon_threadsafe(self._add, stamped)
        self._loop.call_soon_threadsafe(self._add, None)

    def _add(self, stamped: tuple[float, str] | None) -> None:
        if stamped is None:
            self.ended = True
        else:
            self.lines.append(stamped)
        self._more.set()

    async def line(
        self, pattern: re.Pattern[str], timeout: float = 30
    ) -> tuple[float, re.Match[str]]:
        """The first line printed that matches, and when it came."""
        async with asyncio.timeout(timeout):
            while True:
                for at, text in self.lines:
                    if match := pattern.search(text):
                        return at, match
                if self.ended:
                    printed = "\n".join(text for _, text in self.lines)
                    raise RuntimeError(f"no line like {pattern.pattern}:\n{printed}")
                self._more.clear()
                await self._more.wait()

    async def wait(self, timeout: float = 30) -> int:
        return await asyncio.to_thread(self.process.wait, timeout)

    async def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            await self.wait()


class Customer:
    """A bare customer end: the applet API and a channel, no applet around it."""

    def __init__(self, connecting: asyncio.Task[ChannelConnection]) -> None:
        self._connecting = connecting

    @classmethod
    async def join(cls, site: LiveSite, file: Path) -> Customer:
        """Join as the applet does and start waiting for the technician."""
        session = json.loads(file.read_bytes())
        trust = ssl.create_default_context(cafile=str(site.ca_file))
        key = X25519PrivateKey.generate()
        public = base64.b64encode(key.public_key().public_bytes_raw()).decode()
        async with httpx.AsyncClient(base_url=site.url, verify=trust) as web:
            answer = (
                await web.post(
                    "/api/v1/applet/join",
                    json={"public_key": public, "hostname": "bench", "os": "bench"},
                    headers={"Authorization": f"Bearer {session['credential']}"},
                )
            ).json()

        channel = Channel(
            role=Role.CUSTOMER,
            session_id=session["session_id"],
            certificate=base64.b64decode(answer["certificate"]),
            private_key=key,
            site_keys={
                key_id: Ed25519PublicKey.from_public_bytes(base64.b64decode(raw))
                for key_id, raw in session["signing_keys"].items()
            },
            now=time.time(),
        )

        async def ticket(gateway_url: str) -> str:
            return str(answer["ticket"])  # no transport drops on loopback

        opening = connect(channel, answer["gateways"], ticket, ssl_context=trust)
        return cls(asyncio.create_task(opening))

    async def echo_receipts(self) -> None:
        """Answer every chat line with ``delivered`` until the channel ends."""
        connection = await self._connecting
        try:
            async for data in connection:
                message = json.loads(data)
                if message.get("t") == "chat":
                    receipt = {"t": "delivered", "id": message["id"]}
                    await connection.send(json.dumps(receipt).encode())
        except ChannelEnded:
            return


# Figures.


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# One connect.


async def connect_once(
    client: SiteClient, site: LiveSite, folder: Path
) -> dict[str, float]:
    """Times of one run, from the applet's start; its session ended."""
    pin = await client.create_pin()
    file = await fetch_session_file(site, pin.pin, folder)

    applet = AppletProcess(file, folder / "state")
    try:
        seen = await wait_in_queue(client, pin.session_id)
        session = await client.pickup(pin.session_id, name="Bench Tech")
        known = time.perf_counter()
        shown_at, code = await applet.line(_CODE)
        assert code[1] == session.comparison_code, (code[1], session.comparison_code)

        first_at, _ = await applet.line(re.compile(r"."))
        waiting_at, _ = await applet.line(re.compile(r"^Status: Waiting"))
        await session.close("bench done")
        await applet.wait()
    finally:
        await applet.stop()

    start = applet.started
    return {
        "connect": max(known, shown_at) - start,
        "client_code": known - start,
        "applet_code": shown_at - start,
        "first_line": first_at - start,
        "waiting": waiting_at - start,
        "queue_seen": seen - start,
        "pickup": known - seen,
    }


async def wait_in_queue(client: SiteClient, session_id: str) -> float:
    """Poll the queue until the customer is present; the time it was seen."""
    async with asyncio.timeout(30):
        while True:
            asked = time.perf_counter()
            for row in await client.queue():
                if row["id"] == session_id and row.get("customer_present"):
                    return time.perf_counter()
            await asyncio.sleep(max(0.0, POLL_S - (time.perf_counter() - asked)))


# Round trips.


async def chat_round_trips(
    client: SiteClient, site: LiveSite, folder: Path, lines: int
) -> list[float]:
    """Chat line out, ``delivered`` back, through the applet; milliseconds."""
    pin = await client.create_pin()
    file = await fetch_session_file(site, pin.pin, folder)
    applet = AppletProcess(file, folder / "state")
    try:
        await wait_in_queue(client, pin.session_id)
        session = await client.pickup(pin.session_id, name="Bench Tech")
        times = await _timed(lines, lambda n: _chat_and_receipt(session, n))
        await session.close("bench done")
        await applet.wait()
    finally:
        await applet.stop()
    return times


async def _chat_and_receipt(session: TechnicianSession, number: int) -> None:
    line_id = await session.send_chat(f"round trip {number}")
    while True:
        event = await session.next_event(timeout=10)
        if event == Delivered(line_id):
            return
        assert not isinstance(event, SessionClosed), event


async def channel_round_trips(
    client: SiteClient, site: LiveSite, folder: Path, lines: int
) -> list[float]:
    """The baseline: the same exchange with a bare channel end as the customer."""
    pin = await client.create_pin()
    file = await fetch_session_file(site, pin.pin, folder)
    customer = await Customer.join(site, file)
    session = await client.pickup(pin.session_id, name="Bench Tech")
    echo = asyncio.create_task(customer.echo_receipts())
    times = await _timed(lines, lambda n: _chat_and_receipt(session, n))
    await session.close("bench done")
    await echo
    return times


async def _timed(count: int, exchange: Callable[[int], Awaitable[None]]) -> list[float]:
    await exchange(-1)  # warm-up
    times = []
    for number in range(count):
        started = time.perf_counter()
        await exchange(number)
        times.append((time.perf_counter() - started) * 1000)
    return times


# The run.


async def technician(site: LiveSite, email: str) -> SiteClient:
    client = SiteClient(site.url, verify=site.ca_file)
    await client.login(email, site.passwords[email], new_password="bench password 2026")
    return client


async def bench(site: LiveSite, folder: Path, runs: int, lines: int) -> dict[str, Any]:
    async with await technician(site, CONNECTING) as client:
        connects = [await connect_once(client, site, folder) for _ in range(runs)]
    async with await technician(site, CHATTING) as client:
        chat = await chat_round_trips(client, site, folder, lines)
        channel = await channel_round_trips(client, site, folder, lines)

    def p50(key: str) -> float:
        return round(statistics.median(run[key] for run in connects), 3)

    connect = [run["connect"] for run in connects]
    return {
        "connect_p50_s": round(statistics.median(connect), 3),
        "connect_p99_s": round(percentile(connect, 0.99), 3),
        "connect_max_s": round(max(connect), 3),
        "client_code_s": p50("client_code"),
        "applet_code_s": p50("applet_code"),
        "applet_first_line_s": p50("first_line"),
        "applet_start_s": p50("waiting"),
        "queue_seen_s": p50("queue_seen"),
        "pickup_s": p50("pickup"),
        "chat_rtt_p50_ms": round(statistics.median(chat), 2),
        "chat_rtt_p99_ms": round(percentile(chat, 0.99), 2),
        "channel_rtt_p50_ms": round(statistics.median(channel), 2),
        "channel_rtt_p99_ms": round(percentile(channel, 0.99), 2),
        "runs": runs,
        "lines": lines,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=MOST_RUNS, help="connects to time")
    parser.add_argument("--lines", type=int, default=200, help="round trips to time")
    args = parser.parse_args()
    if not 1 <= args.runs <= MOST_RUNS:
        parser.error(f"--runs: 1 to {MOST_RUNS} (the site's PINs per technician hour)")

    with (
        tempfile.TemporaryDirectory(prefix="lifebuoy-bench-") as name,
        start_site(Path(name) / "site") as site,
    ):
        figures = asyncio.run(bench(site, Path(name), args.runs, args.lines))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
