"""The screen streamer on a real X server (Xvfb, 1920x1080x24): what is drawn
arrives, decodes and matches; a still screen sends nothing; the pointer's
shape and position arrive."""

from __future__ import annotations

import asyncio
import json
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import av
import mss
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import xscreen

from lifebuoy.applet.screen import SHARP_AFTER_S, ScreenStreamer

pytestmark = pytest.mark.skipif(not xscreen.available(), reason="needs Xvfb")

BLUE, ORANGE = (30, 60, 200), (250, 150, 20)  # RGB


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    with xscreen.virtual_screen(1920, 1080) as name:
        yield name


class Console:
    def __init__(self) -> None:
        self.messages: list[tuple[float, bytes]] = []
        self.streamer: ScreenStreamer | None = None

    async def send(self, message: bytes) -> None:
        self.messages.append((time.monotonic(), message))
        if message[:1] == b"\x00" and message[1] in (1, 2):
            assert self.streamer is not None
            self.streamer.ack(struct.unpack(">I", message[2:6])[0])

    def kind(self, kind: int) -> list[bytes]:
        return [m for _, m in self.messages if m[:2] == bytes((0, kind))]

    def json(self, kind: str) -> list[dict[str, Any]]:
        found = [json.loads(m) for _, m in self.messages if m[:1] == b"{"]
        return [m for m in found if m["t"] == kind]


class Painter:
    """An X client that owns a few solid windows (no window manager)."""

    def __init__(self, display: str) -> None:
        from Xlib import X
        from Xlib import display as xdisplay

        self.x = X
        self.connection = xdisplay.Display(display)
        self.screen = self.connection.screen()
        self.windows: list[Any] = []

    def window(self, x: int, y: int, w: int, h: int, rgb: tuple[int, ...]) -> None:
        pixel = (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]
        window = self.screen.root.create_window(
            x, y, w, h, 0, self.screen.root_depth,
            background_pixel=pixel, override_redirect=True,
        )  # fmt: skip
        window.map()
        self.connection.sync()
        self.windows.append(window)

    def move_pointer(self, x: int, y: int) -> None:
        from Xlib.ext import xtest

        xtest.fake_input(self.connection, self.x.MotionNotify, x=x, y=y)
        self.connection.sync()

    def close(self) -> None:
        self.connection.close()


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def stream(display: str, console: Console, body: Any) -> ScreenStreamer:
    streamer = ScreenStreamer(console.send, display=display)
    console.streamer = streamer
    task = asyncio.create_task(streamer.run())
    try:
        await body(streamer)
    finally:
        await streamer.stop()
        await asyncio.wait_for(task, 2.0)
    return streamer


def decode(frames: list[bytes]) -> np.ndarray:
    decoder = av.CodecContext.create("h264", "r")
    shown = None
    for message in frames:
        (n,) = struct.unpack(">H", message[9:11])
        for picture in decoder.decode(av.Packet(message[11 + 8 * n :])):
            shown = picture.to_ndarray(format="rgb24")
    assert shown is not None
    return shown


def test_drawn_windows_arrive_and_decode_close_to_the_screen(display: str) -> None:
    painter, console = Painter(display), Console()

    async def body(streamer: ScreenStreamer) -> None:
        await until(lambda: bool(console.kind(1)))
        painter.window(100, 100, 400, 200, BLUE)
        painter.window(900, 500, 300, 300, ORANGE)
        await until(lambda: len(console.kind(1)) >= 2)
        await asyncio.sleep(0.3)  # the second window may come in a later frame

    try:
        asyncio.run(stream(display, console, body))
        with mss.MSS(display=display) as grabber:
            screen = np.asarray(grabber.grab(grabber.monitors[1]))[:, :, 2::-1]
    finally:
        painter.close()
    assert console.json("screen.format")[0]["width"] == 1920
    shown = decode(console.kind(1)).astype(int)
    assert shown.shape == (1080, 1920, 3)
    assert np.abs(shown[120:280, 120:480] - BLUE).max() < 24
    assert np.abs(shown[520:780, 920:1180] - ORANGE).max() < 24
    assert np.abs(shown - screen.astype(int)).mean() < 4


def test_still_screen_sends_nothing_and_change_arrives_at_once(display: str) -> None:
    painter, console = Painter(display), Console()
    seen: dict[str, float] = {}

    async def body(streamer: ScreenStreamer) -> None:
        await until(lambda: bool(console.kind(1)))
        await asyncio.sleep(SHARP_AFTER_S + 0.3)  # past the sharp refresh
        before, captures = len(console.messages), streamer.stats["captures"]
        await asyncio.sleep(1.0)
        seen["sent"] = len(console.messages) - before
        seen["captures"] = streamer.stats["captures"] - captures

        drawn = time.monotonic()
        painter.window(1500, 50, 64, 64, ORANGE)
        await until(lambda: len(console.kind(1)) >= 2)
        seen["delay"] = console.messages[-1][0] - drawn

    try:
        asyncio.run(stream(display, console, body))
    finally:
        painter.close()
    assert seen["sent"] == 0
    assert seen["captures"] == 0  # DAMAGE: not even looked at
    assert seen["delay"] < 0.5  # one capture and encode, on a busy machine


def test_cursor_shape_and_position_arrive(display: str) -> None:
    painter, console = Painter(display), Console()

    async def body(streamer: ScreenStreamer) -> None:
        painter.move_pointer(300, 200)
        await until(lambda: bool(console.json("cursor")))
        painter.move_pointer(640, 480)
        await until(lambda: console.json("cursor")[-1]["x"] == 640)

    try:
        asyncio.run(stream(display, console, body))
    finally:
        painter.close()
    shapes = console.kind(3)
    assert len(shapes) == 1
    shape, w, h, hot_x, hot_y = struct.unpack(">I4H", shapes[0][2:14])
    assert 0 < w <= 256
    assert 0 < h <= 256
    assert hot_x < w
    assert hot_y < h
    assert len(shapes[0]) == 14 + w * h * 4
    last = console.json("cursor")[-1]
    assert last == {"t": "cursor", "x": 640, "y": 480, "shape": shape, "visible": True}


def test_a_monitor_layout_change_is_listed_again(display: str) -> None:
    # The customer changes the resolution (a plugged-in monitor sends the same
    # RandR events): the console is told the new monitors and size.
    console = Console()
    xrandr = ["xrandr", "--display", display]
    mode = ["lb1280", "74.25", "1280", "1390", "1430", "1650"]
    mode += ["720", "725", "730", "750"]

    async def body(streamer: ScreenStreamer) -> None:
        await until(lambda: bool(console.kind(1)))
        subprocess.run([*xrandr, "--newmode", *mode], check=True)
        subprocess.run([*xrandr, "--addmode", "screen", "lb1280"], check=True)
        subprocess.run([*xrandr, "--output", "screen", "--mode", "lb1280"], check=True)
        await until(lambda: len(console.json("screen.format")) == 2)

    try:
        asyncio.run(stream(display, console, body))
    finally:
        subprocess.run([*xrandr, "--output", "screen", "--mode", "1920x1080"])
    listed = console.json("screen.monitors")
    assert [m["width"] for m in listed[0]["monitors"]] == [1920]
    assert [(m["width"], m["height"]) for m in listed[1]["monitors"]] == [(1280, 720)]
    last = console.json("screen.format")[-1]
    assert (last["width"], last["height"]) == (1280, 720)
    key = console.kind(1)[-1]
    assert key[6] & 1
