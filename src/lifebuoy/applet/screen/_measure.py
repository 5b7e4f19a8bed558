"""Measuring the screen pipeline on a real X display, for tuning.

    python -m lifebuoy.applet.screen._measure [stages|motion|still] [seconds]

Uses ``$DISPLAY`` (start ``Xvfb :5 -screen 0 1920x1080x24`` first).
``stages`` times capture, change detection, colour conversion and encoding
per 1080p frame; ``motion`` makes the whole screen move (a child process
scrolls a window of text-like strokes with ``CopyArea``, so its cost is not
counted) and reports frames per second and this process's CPU; ``still``
streams a screen that does not change and reports bytes and CPU. The
console is simulated by acknowledging every picture at once.
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import struct
import subprocess
import sys
import time
from collections.abc import Callable

import av
import mss
import numpy as np

from ._encoder import START_LEVEL, VideoEncoder
from ._streamer import ScreenStreamer
from ._tiles import changed_rects


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.1f} ms"


def stages(seconds: float = 0.0, count: int = 30) -> None:
    """Per-stage costs on full-screen motion."""
    timings: dict[str, list[float]] = {"capture": [], "diff": [], "convert": []}
    timings["encode"] = []
    with mss.MSS() as grabber:
        monitor = grabber.monitors[1]
        base = np.asarray(grabber.grab(monitor)).copy()
        rng = np.random.default_rng(1)
        base[:, :, :3] |= rng.integers(0, 255, (*base.shape[:2], 3), np.uint8) & 0x40
        encoder = VideoEncoder("h264", base.shape[1], base.shape[0], START_LEVEL)
        previous = base
        for i in range(count):
            started = time.perf_counter()
            np.asarray(grabber.grab(monitor))
            timings["capture"].append(time.perf_counter() - started)
            frame = np.roll(base, 8 * (i + 1), axis=0)  # a scroll
            started = time.perf_counter()
            changed_rects(frame, previous)
            timings["diff"].append(time.perf_counter() - started)
            started = time.perf_counter()
            wrapped = av.VideoFrame.from_numpy_buffer(frame, format="bgra")
            wrapped.reformat(format="yuv420p")
            timings["convert"].append(time.perf_counter() - started)
            started = time.perf_counter()
            encoder.encode(frame)
            timings["encode"].append(time.perf_counter() - started)
            previous = frame
    print("  ".join(f"{k} {_median_ms(v)}" for k, v in timings.items()))


async def _stream(seconds: float, during: Callable[[], None] | None = None) -> None:
    sent = {"bytes": 0, "messages": 0}
    streamer: ScreenStreamer

    async def send(message: bytes) -> None:
        sent["bytes"] += len(message)
        sent["messages"] += 1
        if message[:1] == b"\x00" and message[1] in (1, 2):
            seq = struct.unpack(">I", message[2:6])[0]
            asyncio.get_running_loop().call_soon(streamer.ack, seq)

    streamer = ScreenStreamer(send)
    task = asyncio.create_task(streamer.run())
    await asyncio.sleep(1.0)  # the first picture and its sharp refresh
    first = sent["bytes"]
    cpu, wall, frames = _cpu(), time.monotonic(), streamer.stats["frames"]
    if during is not None:
        during()
    await asyncio.sleep(seconds)
    cpu, wall = _cpu() - cpu, time.monotonic() - wall
    frames = streamer.stats["frames"] - frames
    stats = streamer.stats
    await streamer.stop()
    await task
    print(f"first picture {first / 1000:.0f} KB; over {wall:.1f} s:")
    print(
        f"  {frames / wall:.1f} fps, CPU {cpu / wall * 100:.1f} % of a core, "
        f"{(sent['bytes'] - first) / wall / 1000:.1f} KB/s, level {stats['level']:.0f}"
    )
    print("  last frame:", {k: round(v, 1) for k, v in stats.items() if "ms" in k})


def _painting(*how: str) -> subprocess.Popen[bytes]:
    painter = subprocess.Popen([sys.executable, "-m", __spec__.name, "paint", *how])
    time.sleep(3.0)  # its window is up
    return painter


def motion(seconds: float) -> None:
    painter = _painting()
    try:
        asyncio.run(_stream(seconds))
    finally:
        painter.terminate()
        painter.wait()


def still(seconds: float) -> None:
    painter = _painting("still")
    try:
        asyncio.run(_stream(seconds))
    finally:
        painter.terminate()
        painter.wait()


def paint(moving: bool = True) -> None:
    """A full-screen window of strokes; scrolled 60 times a second if
    ``moving``; until killed."""
    from Xlib import display

    connection = display.Display()
    screen = connection.screen()
    width, height = screen.width_in_pixels, screen.height_in_pixels
    window = screen.root.create_window(
        0, 0, width, height, 0, screen.root_depth, override_redirect=True
    )
    window.map()
    pixmap = window.create_pixmap(width, height * 2, screen.root_depth)
    gc = pixmap.create_gc(foreground=screen.white_pixel)
    pixmap.fill_rectangle(gc, 0, 0, width, height * 2)
    rng = np.random.default_rng(2)
    for _ in range(6000):
        gc.change(foreground=int(rng.integers(0, 0x808080)))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height * 2))
        pixmap.fill_rectangle(gc, x, y, int(rng.integers(4, 80)), 9)
    offset = 0
    while True:
        window.copy_area(gc, pixmap, 0, offset, width, height, 0, 0)
        connection.sync()
        if not moving:
            time.sleep(3600)
        time.sleep(1 / 60)
        offset = (offset + 7) % height


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "stages"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 and what != "paint" else 10.0
    if "DISPLAY" not in os.environ:
        sys.exit("set DISPLAY to an X display (e.g. Xvfb :5 -screen 0 1920x1080x24)")
    if what == "paint":
        paint(moving=sys.argv[2:] != ["still"])
    else:
        tools: dict[str, Callable[[float], None]] = {
            "stages": stages,
            "motion": motion,
            "still": still,
        }
        tools[what](seconds)


if __name__ == "__main__":
    main()
