"""Remote view and control, as people live it: a customer's real X screen
(Xvfb) with a real application showing known content, the real applet in
terminal mode, and the technician's console in Chromium.

The tests run in order on one session: the customer allows control and the
canvas shows the screen; a click and typing in the console work in the
application; after the customer stops control further input is refused and
recorded. The last test takes remote control away from the technicians'
group and shows that a console sending the messages directly gets nothing.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import screen_app
import xscreen
from acceptance_customer import Applet, fetch_session_file
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from playwright.sync_api import expect
from test_support_session import CUSTOMER, console, new_password, new_pin, screenshot

from lifebuoy.client import ScreenMessage, SiteClient, TechnicianSession
from lifebuoy.protocol.policy import verify_policy
from lifebuoy.testing.browser import canvas_rgba, log_in
from lifebuoy.testing.livesite import LiveSite

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not xscreen.available(), reason="needs Xvfb and libX11"),
]

TECH1 = "tech1@demo.lifebuoy.test"
TECH2 = "tech2@demo.lifebuoy.test"
MASTER = "master@demo.lifebuoy.test"
CODE = r"^Comparison code: (\d{3} \d{3})$"
ASKS = r"^Technician asks \((\d+)\): (.+)$"

TOLERANCE = 2.0
"""Mean absolute difference (0-255) allowed between a region of the canvas and
the same region of the X screen once the sharp refresh has come: the refresh
is lossless, so what remains is at most rounding at region edges."""


TEXT_REGION = (
    screen_app.HEADING_AT[0],
    screen_app.HEADING_AT[1],
    900,
    screen_app.LINES_AT[1] + screen_app.LINE_STEP * len(screen_app.LINES),
)
"""The heading and the known lines (x, y, w, h)."""


class App:
    """``screen_app.py`` on the customer's screen, read through its state file."""

    def __init__(self, display: str, state: Path) -> None:
        self.path = state
        self.process = subprocess.Popen(
            [sys.executable, screen_app.__file__, "--state", str(state)],
            env={"DISPLAY": display, "PATH": "/usr/bin:/bin"},
        )
        wait_until(state.exists, "the screen app started", timeout=30)

    def state(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.path.read_text())
        return data

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@dataclass
class Desk:
    """Everything the ordered tests share."""

    display: str
    app: App
    applet: Applet
    page: Any
    state_dir: Path
    seen: int = -1


@pytest.fixture(scope="module")
def desk(
    site: LiveSite, chromium_module: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    folder = tmp_path_factory.mktemp("remote-control")
    errors: list[str] = []
    with xscreen.virtual_screen(*screen_app.SCREEN) as display:
        app = App(display, folder / "app-state.json")
        page = console(chromium_module, site, TECH1, errors)
        pin = new_pin(page)
        file = fetch_session_file(site, pin, CUSTOMER, "Printer setup", folder)
        state = folder / "applet-state"
        applet = Applet(file, state, display=display)
        try:
            desk = Desk(display, app, applet, page, state)
            waiting = applet.line(r"^Status: Waiting for a technician$")
            page.get_by_role("button", name=f"Pick up: {CUSTOMER}").click()
            code = applet.line(CODE, after=waiting.index)
            panel = page.get_by_role("tabpanel")
            expect(panel.locator(".code-digits")).to_have_text(code.match[1])
            desk.seen = code.index
            yield desk
        finally:
            applet.stop()
            app.stop()
            page.context.close()
    assert errors == []


def test_the_customer_allows_control_and_the_canvas_shows_the_screen(
    desk: Desk,
) -> None:
    panel = desk.page.get_by_role("tabpanel")
    panel.get_by_role("button", name="Request control").click()
    asked = desk.applet.line(ASKS, after=desk.seen)
    assert "control your mouse and keyboard" in asked.match[2]
    assert "Demo" in asked.match[2] or "Tech" in asked.match[2]  # who asks
    desk.applet.type(f"/allow {asked.match[1]}")
    sharing = desk.applet.line(r"^Screen sharing: .+ CONTROLLING", after=asked.index)
    desk.seen = sharing.index
    expect(panel.locator(".screen-status")).to_contain_text("In control")

    # The heading and the known text lines, as the X server has them.
    region = TEXT_REGION
    want = xscreen_region(desk.display, region)
    difference = wait_for_picture(desk.page, region, want)
    assert difference <= TOLERANCE
    screenshot(desk.page, "remote-01-control")


def test_a_click_and_typing_in_the_console_work_in_the_application(
    desk: Desk,
) -> None:
    before = desk.app.state()["pressed"]
    click_picture(desk.page, *screen_app.BUTTON.centre)
    wait_until(lambda: desk.app.state()["pressed"] == before + 1, "button pressed")

    click_picture(desk.page, *screen_app.ENTRY.centre)
    # The click on the picture gave the keyboard to the customer's computer.
    expect(desk.page.locator("[role=tabpanel] .screen-keys")).to_be_focused()
    desk.page.keyboard.type("Grüße é")
    desk.page.keyboard.press("Backspace")
    desk.page.keyboard.type("ñ!")
    wait_until(
        lambda: desk.app.state()["text"] == "Grüße ñ!",
        lambda: f"text typed; the application has {desk.app.state()}",
    )
    screenshot(desk.page, "remote-02-typed")


def test_after_the_customer_stops_control_input_is_refused_and_recorded(
    desk: Desk,
) -> None:
    desk.applet.type("/stopcontrol")
    desk.applet.line(r"^Screen sharing: .+ VIEWING", after=desk.seen)
    panel = desk.page.get_by_role("tabpanel")
    expect(panel.locator(".screen-status")).to_contain_text("customer")

    # A console that keeps sending input (here: the page's own code path
    # would not; send it directly as a lying console would).
    pressed = desk.app.state()["pressed"]
    send_raw(
        desk.page, {"t": "mouse.button", "x": 10, "y": 10, "button": 1, "down": True}
    )
    x, y = screen_app.BUTTON.centre
    for down in (True, False):
        send_raw(
            desk.page, {"t": "mouse.button", "x": x, "y": y, "button": 1, "down": down}
        )
    time.sleep(2)
    assert desk.app.state()["pressed"] == pressed

    audit = audit_records(desk.state_dir)
    refused = [r for r in audit if r["event"] == "screen.refused"]
    assert refused
    assert refused[0]["reason"] == "control is off"
    events = [r["event"] for r in audit]
    for wanted in ("screen.request", "screen.answer", "screen.start", "screen.stop"):
        assert wanted in events
    stop = next(r for r in audit if r["event"] == "screen.stop")
    assert stop == {**stop, "what": "control", "by": "customer"}

    # The session log at the site has the same story, from the console.
    kinds = wait_for_log(desk.page, "screen.refused")
    for wanted in ("screen.request", "screen.answer", "screen.start", "screen.stop"):
        assert wanted in kinds
    screenshot(desk.page, "remote-03-stopped")


def test_a_group_without_remote_control_cannot_get_it_even_by_sending_messages(
    site: LiveSite,
    chromium_module: Any,
    desk: Desk,
    tmp_path: Path,
) -> None:
    take_remote_control_away(chromium_module, site)

    file_dir = tmp_path / "second"
    file_dir.mkdir()
    # Playwright's own loop runs on this thread: the client gets a thread.
    with ThreadPoolExecutor(1) as thread:
        result = thread.submit(
            asyncio.run, lying_console(site, desk, file_dir)
        ).result()
    assert result["policy_allow"] == ["view"]
    assert result["answer"] == {
        "t": "answer",
        "id": "lie-1",
        "what": "control",
        "allowed": False,
        "reason": "policy",
    }
    assert result["refused"]["reason"] == "control is not allowed for this technician"
    assert result["prompts"] == []  # the customer was never asked
    assert desk.app.state()["pressed"] == result["pressed_before"]


# -- helpers ---------------------------------------------------------------------


async def lying_console(site: LiveSite, desk: Desk, folder: Path) -> dict[str, Any]:
    """Tech 2 through the Python client, sending control messages uninvited."""
    client = SiteClient(site.url, verify=site.ca_file)
    await client.login(TECH2, site.passwords[TECH2], new_password=new_password())
    try:
        pin = await client.create_pin()
        file = await asyncio.to_thread(
            fetch_session_file, site, pin.pin, "Lying Console", "-", folder
        )
        applet = Applet(file, folder / "state", display=desk.display)
        try:
            waiting = await asyncio.to_thread(
                applet.line, r"^Status: Waiting for a technician$"
            )
            session = await TechnicianSession.pick_up(
                client, pin.session_id, "Lying Tech"
            )
            await asyncio.to_thread(applet.line, CODE, after=waiting.index)
            keys = (await client.get("/api/v1/signing-keys"))["keys"]
            site_keys = {
                key_id: Ed25519PublicKey.from_public_bytes(base64.b64decode(raw))
                for key_id, raw in keys.items()
            }
            policy = verify_policy(session.policy or "", site_keys, time.time())
            pressed = desk.app.state()["pressed"]
            x, y = screen_app.BUTTON.centre
            await session.send_message(
                {"t": "request", "id": "lie-1", "what": "control"}
            )
            for down in (True, False):
                await session.send_message(
                    {"t": "mouse.button", "x": x, "y": y, "button": 1, "down": down}
                )
            await session.send_message({"t": "text", "text": "pwned"})
            seen: dict[str, Any] = {}
            while "answer" not in seen or "refused" not in seen:
                event = await session.next_event(timeout=30)
                if isinstance(event, ScreenMessage):
                    seen.setdefault(event.type, {"t": event.type, **event.fields})
            await asyncio.sleep(1)
            await session.close("done")
            await asyncio.to_thread(applet.wait)
        finally:
            applet.stop()
    finally:
        await client.aclose()
    return {
        "policy_allow": sorted(policy.allow),
        "answer": seen["answer"],
        "refused": seen["refused"],
        "prompts": [line for line in applet.lines if re.search(ASKS, line)],
        "pressed_before": pressed,
    }


def xscreen_region(display: str, region: tuple[int, int, int, int]) -> np.ndarray:
    """RGB pixels of ``region`` (x, y, w, h) as the X server has them."""
    import mss

    x, y, w, h = region
    with mss.MSS(display=display) as grabber:
        shot = grabber.grab({"left": x, "top": y, "width": w, "height": h})
        return np.asarray(shot)[:, :, 2::-1].astype(np.int16)


def canvas_region(page: Any, region: tuple[int, int, int, int]) -> np.ndarray | None:
    x, y, w, h = region
    data = canvas_rgba(page, "[role=tabpanel] canvas.screen-canvas", x, y, w, h)
    if data is None:
        return None
    rgba = np.frombuffer(data, np.uint8).reshape(h, w, 4)
    return rgba[:, :, :3].astype(np.int16)


def wait_for_picture(
    page: Any, region: tuple[int, int, int, int], want: np.ndarray
) -> float:
    """The smallest mean difference seen within 20 s (stops once within TOLERANCE)."""
    best = 255.0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        got = canvas_region(page, region)
        if got is not None:
            best = min(best, float(np.abs(got - want).mean()))
            if best <= TOLERANCE:
                break
        time.sleep(0.25)
    return best


def click_picture(page: Any, x: int, y: int) -> None:
    """Click the canvas where picture pixel (x, y) is shown."""
    canvas = page.get_by_role("tabpanel").locator("canvas.screen-canvas")
    box = canvas.bounding_box()
    size = canvas.evaluate("c => [c.width, c.height]")
    page.mouse.click(
        box["x"] + (x + 0.5) * box["width"] / size[0],
        box["y"] + (y + 0.5) * box["height"] / size[1],
    )


def send_raw(page: Any, message: dict[str, Any]) -> None:
    """Send a message on the session's channel as the console's code would."""
    page.evaluate(
        "m => window.lifebuoyScreens.values().next().value.session.sendMessage(m)",
        message,
    )


def wait_until(
    check: Callable[[], bool],
    what: str | Callable[[], str],
    timeout: float = 20,
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            said = what if isinstance(what, str) else what()
            raise AssertionError(f"timed out waiting: {said}")
        time.sleep(0.1)


def audit_records(state_dir: Path) -> list[dict[str, Any]]:
    path = next(state_dir.rglob("audit.jsonl"))
    return [json.loads(line) for line in path.read_text().splitlines()]


def wait_for_log(page: Any, kind: str) -> list[str]:
    """Event kinds of the open session's log at the site, once ``kind`` is in."""
    deadline = time.monotonic() + 30
    while True:
        kinds: list[str] = page.evaluate(
            """async () => {
                const id = window.lifebuoyScreens.keys().next().value;
                const answer = await fetch(`/api/v1/sessions/${id}/log`);
                return (await answer.json()).events.map((e) => e.kind);
            }"""
        )
        if kind in kinds or time.monotonic() > deadline:
            return kinds
        time.sleep(0.5)


def take_remote_control_away(chromium: Any, site: LiveSite) -> None:
    """The master administrator unticks Remote control for the Help desk group
    (the demo technicians' group) in the Administration Center."""
    context = chromium.new_context(
        ignore_https_errors=True, viewport={"width": 1366, "height": 768}
    )
    try:
        page = context.new_page()
        log_in(page, site.url, MASTER, site.passwords[MASTER], new_password())
        page.goto(f"{site.url}/admin-center/")
        page.get_by_role("link", name="Help desk").first.click()
        page.get_by_role("link", name="Edit group").click()
        page.get_by_role("checkbox", name=re.compile("Remote control")).uncheck()
        page.get_by_role("button", name=re.compile("^Save")).click()
        expect(page.get_by_role("link", name="Edit group")).to_be_visible()
    finally:
        context.close()
