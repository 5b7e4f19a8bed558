"""The applet window's screen-sharing parts on a virtual screen (Xvfb): the
prompt (Allow / Deny, Escape denies, taken away when the request closes) and
the banner with Stop control / Stop sharing. Screenshots are kept in
test-artifacts/applet-tk-prompt.png and applet-tk-banner.png."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import xscreen

from lifebuoy.applet._updates import ConsentClosed, ConsentRequested, ScreenShared

pytestmark = pytest.mark.skipif(not xscreen.available(), reason="needs Xvfb and libX11")

ARTIFACTS = Path(__file__).parents[3] / "test-artifacts"


class FakeCore:
    """What the window calls on the session core."""

    def __init__(self) -> None:
        self.answers: list[tuple[str, bool]] = []
        self.stops: list[str] = []

    def answer(self, request_id: str, allowed: bool) -> None:
        self.answers.append((request_id, allowed))

    async def stop_screen(self, what: str) -> None:
        self.stops.append(what)


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    with xscreen.virtual_screen() as name:
        yield name


@pytest.fixture
def window(display: str) -> Iterator[tuple[Any, FakeCore, asyncio.AbstractEventLoop]]:
    import tkinter

    from lifebuoy.applet._tk import TkFrontEnd

    os.environ["DISPLAY"] = display
    root = tkinter.Tk(className="lifebuoy")
    front = TkFrontEnd(root)
    core, loop = FakeCore(), asyncio.new_event_loop()
    front._core, front._loop = core, loop  # type: ignore[assignment]
    try:
        yield front, core, loop
    finally:
        root.destroy()
        loop.close()


def settle(front: Any, loop: asyncio.AbstractEventLoop) -> None:
    """Let Tk draw and the loop run what the window handed it."""
    for _ in range(5):
        front.root.update()
    loop.run_until_complete(asyncio.sleep(0.05))
    front.root.update()


def test_a_request_is_answered_in_its_own_prompt(window: Any, display: str) -> None:
    front, core, loop = window
    front._show(
        ConsentRequested(
            "r1",
            "screen.control",
            "Taylor Tech asks to see your screen and control your mouse and keyboard.",
        )
    )
    settle(front, loop)
    prompt = front._prompts["r1"]
    assert prompt.winfo_ismapped()
    ARTIFACTS.mkdir(exist_ok=True)
    xscreen.screenshot(display, ARTIFACTS / "applet-tk-prompt.png")

    buttons = {
        child.cget("text"): child
        for row in prompt.winfo_children()
        for child in row.winfo_children()
    }
    buttons["Allow"].invoke()
    settle(front, loop)
    assert core.answers == [("r1", True)]
    assert "r1" not in front._prompts

    # Escape denies; a request that closed (timed out) takes its prompt away.
    front._show(ConsentRequested("r2", "screen.view", "Taylor Tech asks to see."))
    front._show(ConsentRequested("r3", "screen.view", "Taylor Tech asks again."))
    settle(front, loop)
    front._prompts["r2"].focus_force()  # no window manager gives it focus
    settle(front, loop)
    front._prompts["r2"].event_generate("<Escape>")
    front._show(ConsentClosed("r3"))
    settle(front, loop)
    assert core.answers == [("r1", True), ("r2", False)]
    assert front._prompts == {}


def test_the_banner_says_who_and_stops_at_once(window: Any, display: str) -> None:
    front, core, loop = window
    front._show(ScreenShared(True, True, "Taylor Tech"))
    settle(front, loop)
    assert front.banner.winfo_ismapped()
    assert front.banner_text.cget("text") == "Taylor Tech is controlling your screen."
    assert front.stop_control.winfo_ismapped()
    ARTIFACTS.mkdir(exist_ok=True)
    xscreen.screenshot(display, ARTIFACTS / "applet-tk-banner.png")

    front.stop_control.invoke()
    settle(front, loop)
    assert core.stops == ["control"]

    front._show(ScreenShared(True, False, "Taylor Tech"))
    settle(front, loop)
    assert front.banner_text.cget("text") == "Taylor Tech is viewing your screen."
    assert not front.stop_control.winfo_ismapped()
    front.stop_sharing.invoke()
    settle(front, loop)
    assert core.stops == ["control", "view"]

    front._show(ScreenShared(False, False, "Taylor Tech"))
    settle(front, loop)
    assert not front.banner.winfo_ismapped()
