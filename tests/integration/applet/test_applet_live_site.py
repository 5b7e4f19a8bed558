"""The applet against a real ``lifebuoy serve``: the customer enters a PIN,
downloads the session file and runs ``lifebuoy-applet --terminal``; the
technician uses the Python client library."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from live_helpers import RunningApplet, download_session_file, technician

from lifebuoy import __version__
from lifebuoy.client import (
    ChatReceived,
    CustomerEnded,
    CustomerHello,
    Delivered,
    SessionClosed,
    TechnicianSession,
)
from lifebuoy.testing.livesite import LiveSite

pytestmark = pytest.mark.slow

APPLET = str(Path(sys.executable).with_name("lifebuoy-applet"))


async def next_of(
    session: TechnicianSession, kind: type, timeout: float = 20
) -> object:
    """The next event of ``kind``, skipping others."""
    async with asyncio.timeout(timeout):
        while not isinstance(event := await session.next_event(), kind):
            assert not isinstance(event, SessionClosed), event
    return event


def test_applet_joins_chats_and_ends_a_real_session(
    live_site: LiveSite, tmp_path: Path
) -> None:
    asyncio.run(
        _session_with([APPLET, "--terminal", "--remove-file"], live_site, tmp_path)
    )


async def _session_with(command: list[str], site: LiveSite, tmp_path: Path) -> None:
    client = await technician(site)
    pin = await client.create_pin()
    file = download_session_file(site, pin.pin, tmp_path)
    state = tmp_path / "state"
    applet = RunningApplet([*command, str(file)], state)
    try:
        await asyncio.to_thread(applet.wait_line, r"^Status: Waiting for a technician")
        waiting = [s for s in await client.queue() if s["id"] == pin.session_id]
        assert waiting
        assert waiting[0]["customer_name"] == "Pat Customer"

        # Pick up: both show the same comparison code, the applet the name.
        session = await client.pickup(pin.session_id, name="Taylor Tech")
        code = await asyncio.to_thread(
            applet.wait_line, r"^Comparison code: (\d{3} \d{3})$"
        )
        assert code[1] == session.comparison_code
        await asyncio.to_thread(applet.wait_line, r"^Technician: Taylor Tech$")
        hello = await next_of(session, CustomerHello)
        assert isinstance(hello, CustomerHello)
        assert hello.hostname

        # Chat both ways, with receipts.
        line = await session.send_chat("Hello, this is Taylor. <b>Hi</b>")
        await asyncio.to_thread(
            applet.wait_line, r"^Technician says: Hello, this is Taylor\. <b>Hi</b>$"
        )
        assert await next_of(session, Delivered) == Delivered(line)
        applet.type("My printer prints nothing")
        said = await next_of(session, ChatReceived)
        assert isinstance(said, ChatReceived)
        assert said.text == "My printer prints nothing"
        await asyncio.to_thread(applet.wait_line, r"^Delivered \(1\)$")

        # The customer ends: end message, clean close, the site closes it.
        applet.type("/end")
        await next_of(session, CustomerEnded)
        closed = await session.next_event(20)
        assert closed == SessionClosed("customer ended", clean=True, by_peer=True)
        assert await asyncio.to_thread(applet.wait, 30) == 0
        await session.wait_closed()
    finally:
        applet.stop()

    assert f"Removed {file}" in applet.lines
    assert not file.exists()
    await _check_site_and_audit(client, pin.session_id, state)
    await client.aclose()


async def _check_site_and_audit(client: object, session_id: str, state: Path) -> None:
    from lifebuoy.client import SiteClient

    assert isinstance(client, SiteClient)
    events = await client.session_log(session_id)
    kinds = [event["kind"] for event in events]
    assert "chat.technician" in kinds
    assert "chat.customer" in kinds
    assert kinds[-1] == "close"
    assert not [s for s in await client.queue() if s["id"] == session_id]

    audit = (state / "audit.jsonl").read_text()
    records = [json.loads(line) for line in audit.splitlines()]
    assert [r["event"] for r in records] == [
        "session.start",
        "join",
        "channel.open",
        "technician",
        "policy",
        "session.end",
    ]
    assert records[3]["name"] == "Taylor Tech"
    # The site's signed policy verified in the real applet: the demo group's.
    assert records[4]["allow"] == ["control", "view"]
    assert "printer" not in audit
    assert "Taylor." not in audit


def build_applet() -> Path:
    """dist/lifebuoy-applet, built by scripts/build-applet.sh (reused when the
    sources are unchanged)."""
    root = Path(__file__).parents[3]
    done = subprocess.run(
        [str(root / "scripts" / "build-applet.sh")],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return root / done.stdout.strip().splitlines()[-1]


def test_self_contained_applet_runs_and_joins_a_real_session(
    live_site: LiveSite, tmp_path: Path
) -> None:
    binary = build_applet()
    version = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, timeout=60
    )
    assert version.stdout.strip() == f"lifebuoy-applet {__version__}"

    # Run a copy outside the tree: nothing of the source or the venv next to it.
    alone = tmp_path / "lifebuoy-applet"
    shutil.copy2(binary, alone)
    asyncio.run(
        _session_with([str(alone), "--terminal", "--remove-file"], live_site, tmp_path)
    )
