"""Remote view and control in the Technician Console, in real Chromium.

The customer is scripted in Python (``console_customer.py``) and plays the
applet's part of docs/screen.md: it answers requests, announces the format
and sends real H.264 frames (libx264, Annex B) and lossless WebP tiles.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from console_customer import Customer
from console_helpers import console_page, screenshot
from playwright.sync_api import expect
from screen_pictures import (
    BLUE,
    CODEC,
    GREEN,
    HEIGHT,
    MAGENTA,
    RED,
    WHITE,
    WIDTH,
    YELLOW,
    H264Frames,
    cursor_shape_message,
    quadrants,
    sharp_message,
    video_message,
    webp_tile,
)
from test_console import new_pin

from lifebuoy.testing.livesite import LiveSite

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TECH = "tech1@demo.lifebuoy.test"
INPUT_KINDS = {"mouse.move", "mouse.button", "mouse.wheel", "key", "text", "sequence"}
TOLERANCE = 40  # H.264 at the default quality, through YUV 4:2:0


class ScreenCustomer(Customer):
    """The scripted customer, with binary messages."""

    def send_bytes(self, data: bytes) -> None:
        assert self.connection is not None
        self.run(self.connection.send(data))

    def inputs(self) -> list[dict[str, Any]]:
        return [m for m in self.received if m.get("t") in INPUT_KINDS]

    def allow(self, what: str) -> None:
        request = self.wait_for("request", what=what)
        self.send(
            t="answer", id=request["id"], what=what, allowed=True, reason="customer"
        )
        self.send(t="screen.state", view=True, control=what == "control", by="customer")


@pytest.fixture
def opened(
    site: LiveSite, chromium: Any, new_passwords: dict[str, str]
) -> Iterator[tuple[Any, Any, ScreenCustomer]]:
    """A console page with a picked-up, open session: (page, panel, customer)."""
    page = console_page(chromium, site, TECH, new_passwords)
    posted: list[dict[str, Any]] = []
    page.posted_events = posted

    def keep_events(request: Any) -> None:
        if request.method == "POST" and request.url.endswith("/events"):
            posted.extend(json.loads(request.post_data)["events"])

    page.on("request", keep_events)
    customer = ScreenCustomer(site.url, site.ca_file)
    try:
        customer.enter_pin(new_pin(page), "Dora", "my screen is odd")
        customer.join("dora-pc", "Debian 13")
        page.get_by_role("button", name="Pick up: Dora").click()
        code = customer.wait_open()
        panel = page.locator(f"#panel-{customer.session_file['session_id']}")
        expect(panel.locator(".code-digits")).to_have_text(code)
        customer.wait_for("hello")
        # The site's signed session policy follows the hello (docs/screen.md).
        assert customer.wait_for("policy")["token"].count(".") == 1
        yield page, panel, customer
    finally:
        customer.stop()


def pixel(page: Any, panel: Any, x: int, y: int) -> list[int]:
    colour: list[int] = panel.locator(".screen-canvas").evaluate(
        "(c, [x, y]) => [...c.getContext('2d').getImageData(x, y, 1, 1).data]",
        [x, y],
    )
    return colour[:3]


def assert_colour(page: Any, panel: Any, x: int, y: int, want: tuple[int, ...]) -> None:
    got = pixel(page, panel, x, y)
    assert all(abs(a - b) <= TOLERANCE for a, b in zip(got, want, strict=True)), (
        f"({x}, {y}) is {got}, not {want}"
    )


def drawn(page: Any, panel: Any, seq: int) -> None:
    """Wait until the view has painted picture message ``seq``."""
    session_id = panel.get_attribute("data-session")
    page.wait_for_function(
        "([id, seq]) => window.lifebuoyScreens.get(id).seen.has(seq)",
        arg=[session_id, seq],
    )


def show_pictures(page: Any, panel: Any, customer: ScreenCustomer) -> None:
    """Format, a key frame, a delta frame painted in one rectangle only, a
    sharp tile, and the cursor."""
    session_id = panel.get_attribute("data-session")
    page.evaluate(
        """id => { const view = window.lifebuoyScreens.get(id); view.seen = new Set();
          view.addEventListener("picture", (e) => view.seen.add(e.detail.seq)); }""",
        session_id,
    )
    customer.send(
        t="screen.monitors",
        selected=0,
        monitors=[
            {
                "index": 1,
                "x": 0,
                "y": 0,
                "width": 1920,
                "height": 1080,
                "primary": True,
            },
            {
                "index": 2,
                "x": 1920,
                "y": 0,
                "width": 1280,
                "height": 1024,
                "primary": False,
            },
        ],
    )
    customer.send(t="screen.format", codec=CODEC, width=WIDTH, height=HEIGHT, monitor=0)
    frames = H264Frames()
    customer.send_bytes(
        video_message(
            1, frames.encode(quadrants(), key=True), [(0, 0, WIDTH, HEIGHT)], key=True
        )
    )
    drawn(page, panel, 1)

    # The whole red quadrant turns yellow, but only 64x64 of it is said to change.
    changed = quadrants()
    changed[: HEIGHT // 2, : WIDTH // 2] = YELLOW
    customer.send_bytes(
        video_message(2, frames.encode(changed), [(32, 32, 64, 64)], key=False)
    )
    drawn(page, panel, 2)
    customer.send_bytes(
        sharp_message(3, [((480, 240, 64, 64), webp_tile(MAGENTA, 64, 64))])
    )
    drawn(page, panel, 3)
    customer.send_bytes(cursor_shape_message(7, 12, 12))
    customer.send(t="cursor", x=400, y=100, shape=7, visible=True)


def test_the_technician_views_the_screen_and_nothing_is_sent_back(
    opened: tuple[Any, Any, ScreenCustomer],
) -> None:
    page, panel, customer = opened
    expect(
        panel.get_by_text("To see the customer's screen, choose View screen")
    ).to_be_visible()

    panel.get_by_role("button", name="View screen").click()
    expect(panel.locator(".screen-status")).to_have_text(
        "Waiting for the customer to allow…"
    )
    customer.allow("view")
    expect(panel.locator(".screen-status")).to_have_text("Viewing")
    show_pictures(page, panel, customer)

    # The key frame everywhere; the delta only in its rectangle; the sharp tile.
    for x, y, colour in [
        (100, 100, RED),
        (40, 40, YELLOW),
        (95, 95, YELLOW),
        (10, 10, RED),
        (200, 150, RED),
        (500, 80, GREEN),
        (100, 300, BLUE),
        (600, 340, WHITE),
        (500, 260, MAGENTA),
        (479, 260, WHITE),
    ]:
        assert_colour(page, panel, x, y, colour)
    assert [m["seq"] for m in customer.received if m["t"] == "screen.ack"][:3] == [
        1,
        2,
        3,
    ]

    # The cursor is on its own canvas, not in the picture.
    assert_colour(page, panel, 404, 104, GREEN)
    cursor_alpha = panel.locator(".screen-cursor").evaluate(
        "c => c.getContext('2d').getImageData(404, 104, 1, 1).data[3]"
    )
    assert cursor_alpha == 255

    # Two monitors: the picker offers both and all; choosing one says so.
    panel.get_by_label("Monitor").select_option("2")
    assert customer.wait_for("screen.select")["monitor"] == 2

    # View only: clicks, wheel and keys on the picture send nothing.
    canvas = panel.locator(".screen-cursor")
    canvas.click(position={"x": 50, "y": 50})
    page.mouse.wheel(0, 300)
    page.keyboard.type("ab")
    page.keyboard.press("Enter")
    time.sleep(0.5)
    assert customer.inputs() == []
    stats = page.evaluate(
        "id => ({...window.lifebuoyScreens.get(id).stats})",
        panel.get_attribute("data-session"),
    )
    assert stats["frames"] >= 3
    assert stats["bytes"] > 1000

    panel.get_by_role("button", name="Stats").click()
    expect(panel.locator(".screen-stats")).to_contain_text(f"640\u00d7360 · {CODEC}")
    screenshot(page, "screen-viewing")

    # The technician stops viewing; the applet confirms.
    panel.get_by_role("button", name="Stop viewing").click()
    customer.wait_for("screen.stop", what="view")
    customer.send(t="screen.state", view=False, control=False, by="technician")
    expect(panel.locator(".screen-stage")).to_be_hidden()
    kinds = wait_posted(
        page, {"screen.request", "screen.answer", "screen.start", "screen.stop"}
    )
    assert kinds["screen.answer"] == {
        "what": "view",
        "allowed": True,
        "by": "customer",
        "reason": "customer",
    }
    assert kinds["screen.stop"] == {"what": "view", "by": "technician"}


def wait_posted(page: Any, kinds: set[str]) -> dict[str, dict[str, Any]]:
    """The screen fields of the first posted log event of each kind."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = {e["kind"]: e for e in reversed(page.posted_events)}
        if kinds <= found.keys():
            fields = ("what", "allowed", "by", "reason")
            return {k: {f: e[f] for f in fields if f in e} for k, e in found.items()}
        page.wait_for_timeout(100)
    raise AssertionError(f"no {kinds} in {page.posted_events}")


def test_in_control_clicks_and_keys_reach_the_customer_at_picture_pixels(
    opened: tuple[Any, Any, ScreenCustomer],
) -> None:
    page, panel, customer = opened
    panel.get_by_role("button", name="Request control").click()
    customer.allow("control")
    expect(panel.locator(".screen-status")).to_have_text("In control")
    show_pictures(page, panel, customer)

    # A click at picture pixel (160, 90), whatever the CSS scale of the canvas.
    canvas = panel.locator(".screen-cursor")
    box = canvas.bounding_box()
    scale = box["width"] / WIDTH
    page.mouse.click(box["x"] + 160.5 * scale, box["y"] + 90.5 * scale)
    down = customer.wait_for("mouse.button", down=True)
    up = customer.wait_for("mouse.button", down=False)
    for message in (down, up):
        assert message["button"] == 1
        assert abs(message["x"] - 160) <= 1
        assert abs(message["y"] - 90) <= 1
    page.mouse.click(box["x"] + 10, box["y"] + 10, button="right")
    customer.wait_for("mouse.button", button=3, down=True)

    # Moves are sent; the wheel in notches.
    page.mouse.move(
        box["x"] + (WIDTH // 2 + 0.5) * scale, box["y"] + (HEIGHT // 2 + 0.5) * scale
    )
    customer.wait_for("mouse.move", x=WIDTH // 2, y=HEIGHT // 2)
    page.mouse.wheel(0, 200)
    assert customer.wait_for("mouse.wheel")["dy"] == 2

    # The keyboard: characters as text (é through input events), the rest as keys.
    expect(panel.get_by_label("Keyboard to the customer's computer")).to_be_focused()
    page.keyboard.type("hé")
    page.keyboard.press("Enter")
    page.keyboard.press("Control+a")
    customer.wait_for("key", key="Control", down=False)
    typed = [m for m in customer.inputs() if m["t"] in ("text", "key")]
    assert typed == [
        {"t": "text", "text": "h"},
        {"t": "text", "text": "é"},
        {"t": "key", "key": "Enter", "code": "Enter", "down": True},
        {"t": "key", "key": "Enter", "code": "Enter", "down": False},
        {"t": "key", "key": "Control", "code": "ControlLeft", "down": True},
        {"t": "key", "key": "a", "code": "KeyA", "down": True},
        {"t": "key", "key": "a", "code": "KeyA", "down": False},
        {"t": "key", "key": "Control", "code": "ControlLeft", "down": False},
    ]
    panel.get_by_label("Key sequence to send").select_option("ctrl-alt-del")
    panel.get_by_role("button", name="Send keys").click()
    customer.wait_for("sequence", name="ctrl-alt-del")

    # Ctrl+Alt+Shift gives the keyboard back: everything held is released.
    panel.locator(".screen-cursor").click(position={"x": 5, "y": 5})
    page.keyboard.down("Control")
    page.keyboard.down("Alt")
    page.keyboard.down("Shift")
    customer.wait_for("release")
    for name in ("Shift", "Alt", "Control"):
        page.keyboard.up(name)
    expect(
        panel.get_by_label("Keyboard to the customer's computer")
    ).not_to_be_focused()
    screenshot(page, "screen-control")

    # The customer stops control: the console says so and sends nothing more.
    customer.send(t="screen.state", view=True, control=False, by="customer")
    expect(panel.locator(".screen-status")).to_have_text(
        "Viewing · Stopped by the customer"
    )
    count = len(customer.inputs())
    canvas.click(position={"x": 30, "y": 30})
    page.keyboard.type("zz")
    time.sleep(0.5)
    assert len(customer.inputs()) == count
    kinds = wait_posted(page, {"screen.stop"})
    assert kinds["screen.stop"] == {"what": "control", "by": "customer"}
    assert page.errors == []


@pytest.mark.parametrize(
    "hostile",
    [
        pytest.param(
            video_message(1, b"\x00\x00\x00\x01", [(600, 0, 41, 10)], key=True),
            id="rectangle-outside",
        ),
        pytest.param(
            sharp_message(1, [((0, 0, 8, 8), webp_tile(RED, 8, 8))])[:-5],
            id="truncated-tile",
        ),
    ],
)
def test_a_hostile_picture_ends_the_session_with_an_error(
    opened: tuple[Any, Any, ScreenCustomer], hostile: bytes
) -> None:
    page, panel, customer = opened
    panel.get_by_role("button", name="View screen").click()
    customer.allow("view")
    customer.send(t="screen.format", codec=CODEC, width=WIDTH, height=HEIGHT, monitor=0)
    customer.send_bytes(hostile)
    expect(panel.locator(".session-ending")).to_contain_text("broke the rules")
    expect(panel.locator(".session-phase")).to_have_text("Ended")
    expect(panel.locator(".screen-stage")).to_be_hidden()
    assert page.errors == []
