"""Remote view and control, end to end: the reference workload on a virtual
1920x1080 desktop, the real applet showing it, the real browser console
drawing it.

    .venv/bin/python bench/screen.py [--quick] [--codec h264|vp8|vp9]

One site (SQLite, embedded gateway) over HTTPS, Chromium through Playwright
logged in as the demo technician, ``lifebuoy-applet --terminal`` on the
workload's Xvfb display. The technician asks for control and the applet is
told ``/allow``; then, in this order:

1. the **typical support minute** (bench/workload/README.md): picture bytes
   the console received from the first phase to the last (``kb_per_min``),
   and also counting the second in which the minute's windows open
   (``kb_per_min_with_opening``). At the end of the still phase the text
   regions of the canvas are compared with the X screen (``text_ssim``, the
   lowest SSIM of the regions);
2. a **still screen** for ``STILL_S``: applet CPU in percent of a core
   (``still_cpu_pct``) and picture bytes per second (``still_bytes_per_s``);
3. **full-screen motion** for ``MOTION_S``: pictures painted per second in
   the console (``motion_fps``, video frames only) and applet CPU in cores
   (``motion_applet_cores``), both from ``MOTION_RAMP_S`` after the motion
   starts (the pipeline's first pictures are latency, not rate) to its end;
4. **input to screen**: a click on the canvas over a window whose colour
   flips on every press, timed in the page from the pointer event to the
   first painted picture whose rectangles cover the window
   (``input_p50_ms``, ``input_p99_ms``).

Baselines in the same run: the bytes of one raw 1920x1080 BGRA frame
(``raw_frame_kb``) and the X server's own capture time for it
(``capture_ms``), so that the figures read as ratios on a noisy machine.
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import queue
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from connect import fetch_session_file
from lifebuoy.testing.browser import CHROMIUM, CHROMIUM_ARGS, canvas_rgba, log_in
from lifebuoy.testing.livesite import LiveSite, start_site
from workload import HEIGHT, WIDTH, desktop, run_minute, run_motion, ssim, text_regions

TECHNICIAN = "tech1@demo.lifebuoy.test"
APPLET = Path(sys.executable).with_name("lifebuoy-applet")
TARGET = (760, 340, 400, 300)
"""The click target (x, y, w, h) on the customer's screen."""
STILL_S = 20.0
MOTION_S = 15.0
MOTION_RAMP_S = 1.0
"""Motion is measured from this long after it starts to its end."""
CLICKS = 40
WAIT_S = 60.0

_VIEW = "window.lifebuoyScreens.values().next().value"
_CANVAS = "[role=tabpanel] .screen-canvas"
_ARM_CLICK_TIMER = """([rx, ry, rw, rh]) => {
    const view = VIEW;
    window.clickTimer = new Promise((resolve) => {
        let pressed = null;
        const onPress = () => { pressed = performance.now(); };
        view.overlay.addEventListener(
            'pointerdown', onPress, { once: true, capture: true });
        const onPicture = (event) => {
            const { rects, painted, drawnAt } = event.detail;
            if (pressed === null || !painted) return;
            const covers = rects.some(({ x, y, w, h }) =>
                x < rx + rw && rx < x + w && y < ry + rh && ry < y + h);
            if (!covers) return;
            view.removeEventListener('picture', onPicture);
            resolve(drawnAt - pressed);
        };
        view.addEventListener('picture', onPicture);
        setTimeout(() => resolve(null), 5000);
    });
}"""


class AppletProcess:
    """``lifebuoy-applet --terminal`` on the workload's display."""

    def __init__(self, file: Path, state: Path, display: str, codec: str) -> None:
        env = {**os.environ, "DISPLAY": display}
        env["LIFEBUOY_APPLET_STATE_DIR"] = str(state)
        self.process = subprocess.Popen(
            [str(APPLET), "-v", "--terminal", "--keep-file", f"--codec={codec}", file],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.cpu = psutil.Process(self.process.pid)
        self.lines: list[str] = []
        self._incoming: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._incoming.put(line.rstrip("\n"))

    def line(self, pattern: str, timeout: float = WAIT_S) -> re.Match[str]:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._incoming.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(
                    f"the applet printed no {pattern!r}:\n" + "\n".join(self.lines)
                ) from None
            self.lines.append(line)
            if match := regex.search(line):
                return match

    def type(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def cpu_s(self) -> float:
        times = self.cpu.cpu_times()
        return float(times.user + times.system)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.type("/end")
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        time.sleep(0.2)
        while not self._incoming.empty():
            line = self._incoming.get()
            if "screen streaming stopped" in line:  # the applet's own counts
                print(line, file=sys.stderr)


class Console:
    """The technician's console page, read through ``window.lifebuoyScreens``."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def picture_bytes(self) -> int:
        return int(self.page.evaluate(f"{_VIEW}.stats.bytes"))

    def kind_bytes(self) -> dict[str, int]:
        kinds: dict[str, int] = self.page.evaluate(f"{_VIEW}.stats.kindBytes")
        return kinds

    def video_frames(self) -> int:
        """Video frames painted (sharp refreshes are not frames of motion)."""
        return int(self.page.evaluate(f"{_VIEW}.stats.kindFrames.video"))

    def region(self, x: int, y: int, w: int, h: int) -> np.ndarray:
        """Grey levels of a canvas region."""
        data = canvas_rgba(self.page, _CANVAS, x, y, w, h)
        assert data is not None, "no picture on the canvas"
        rgba = np.frombuffer(data, np.uint8).reshape(h, w, 4)
        return _grey(rgba[:, :, 0], rgba[:, :, 1], rgba[:, :, 2])

    def arm_click_timer(self, rect: tuple[int, int, int, int]) -> None:
        """Time the next pointer press on the picture to the first painted
        picture message whose rectangles cover ``rect``."""
        self.page.evaluate(
            _ARM_CLICK_TIMER.replace("VIEW", _VIEW),
            list(rect),
        )

    def click_time_ms(self) -> float | None:
        result = self.page.evaluate("window.clickTimer")
        return None if result is None else float(result)

    def click(self, x: int, y: int) -> None:
        canvas = self.page.locator("[role=tabpanel] .screen-canvas")
        box = canvas.bounding_box()
        assert box is not None
        self.page.mouse.click(
            box["x"] + (x + 0.5) * box["width"] / WIDTH,
            box["y"] + (y + 0.5) * box["height"] / HEIGHT,
        )


def _grey(red: Any, green: Any, blue: Any) -> np.ndarray:
    result: np.ndarray = 0.299 * red + 0.587 * green + 0.114 * blue
    return result


def x_region(display: str, x: int, y: int, w: int, h: int) -> np.ndarray:
    import mss

    with mss.MSS(display=display) as grabber:
        shot = np.asarray(grabber.grab({"left": x, "top": y, "width": w, "height": h}))
    return _grey(shot[:, :, 2], shot[:, :, 1], shot[:, :, 0])


def capture_ms(display: str) -> float:
    import mss

    with mss.MSS(display=display) as grabber:
        times = []
        for _ in range(20):
            start = time.perf_counter()
            np.asarray(grabber.grab(grabber.monitors[1]))
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


@contextmanager
def click_target(display: str) -> Iterator[None]:
    script = Path(__file__).with_name("_click_target.py")
    process = subprocess.Popen(
        [sys.executable, str(script), *map(str, TARGET)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "DISPLAY": display},
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()
        time.sleep(1)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# -- the session --------------------------------------------------------------


def open_session(
    site: LiveSite, browser: Any, display: str, folder: Path, codec: str
) -> tuple[Console, AppletProcess]:
    context = browser.new_context(
        ignore_https_errors=True, viewport={"width": 1600, "height": 1000}
    )
    context.set_default_timeout(WAIT_S * 1000)
    page = context.new_page()
    password = "Lb-" + secrets.token_urlsafe(16)
    log_in(page, site.url, TECHNICIAN, site.passwords[TECHNICIAN], password)
    page.goto(f"{site.url}/console/")
    page.get_by_role("button", name="New PIN").click()
    page.wait_for_function("() => document.querySelector('#pin-digits')?.dataset.pin")
    pin = page.locator("#pin-digits").get_attribute("data-pin")
    assert pin is not None
    # Playwright's loop runs on this thread: the download gets a thread.
    with ThreadPoolExecutor(1) as thread:
        file = thread.submit(
            asyncio.run, fetch_session_file(site, pin, folder)
        ).result()

    applet = AppletProcess(file, folder / "state", display, codec)
    applet.line(r"^Status: Waiting for a technician$")
    page.get_by_role("button", name="Pick up: Bench").click()
    applet.line(r"^Comparison code:")
    page.get_by_role("tabpanel").get_by_role("button", name="Request control").click()
    asked = applet.line(r"^Technician asks \((\d+)\)")
    applet.type(f"/allow {asked[1]}")
    applet.line(r"CONTROLLING")
    console = Console(page)
    page.wait_for_function(f"() => {_VIEW} && {_VIEW}.stats.frames > 0")
    return console, applet


# -- the measurements ------------------------------------------------------------


def minute(console: Console, applet: AppletProcess, display: str) -> dict[str, float]:
    marks: dict[str, int] = {}
    kinds: dict[str, dict[str, int]] = {}
    scores: list[float] = []

    def on_phase(name: str, _start: float) -> None:
        marks[name] = console.picture_bytes()
        kinds[name] = console.kind_bytes()
        if name == "typing":  # the still phase just ended: text sharp?
            for rect in text_regions():
                box = (rect.x, rect.y, rect.width, rect.height)
                scores.append(ssim(console.region(*box), x_region(display, *box)))

    opening = console.picture_bytes()
    run_minute(display, on_phase=on_phase)
    phases = ["still", "typing", "scrolling", "dragging", "end"]
    figures = {
        "kb_per_min": round((marks["end"] - marks["still"]) / 1000, 1),
        "kb_per_min_with_opening": round((marks["end"] - opening) / 1000, 1),
        "text_ssim": round(min(scores), 4),
    }
    for phase, following in itertools.pairwise(phases):
        for kind in ("video", "sharp"):
            spent = kinds[following].get(kind, 0) - kinds[phase].get(kind, 0)
            figures[f"kb_{phase}_{kind}"] = round(spent / 1000, 1)
    return figures


def still(console: Console, applet: AppletProcess, seconds: float) -> dict[str, float]:
    time.sleep(3)  # the last sharp refresh of what came before
    cpu, data, start = applet.cpu_s(), console.picture_bytes(), time.monotonic()
    time.sleep(seconds)
    wall = time.monotonic() - start
    return {
        "still_cpu_pct": round(100 * (applet.cpu_s() - cpu) / wall, 2),
        "still_bytes_per_s": round((console.picture_bytes() - data) / wall, 1),
    }


def motion(
    console: Console, applet: AppletProcess, display: str, seconds: float
) -> dict[str, float]:
    started: queue.Queue[float] = queue.Queue()

    def on_phase(name: str, start: float) -> None:
        if name == "motion":
            started.put(start)

    before = _cpu_by_process()
    scroller = threading.Thread(
        target=run_motion, args=(display, seconds), kwargs={"on_phase": on_phase}
    )
    scroller.start()
    # Measured from MOTION_RAMP_S after the motion starts to its end, in this
    # thread (the page belongs to it): the first pictures of a motion take
    # the pipeline's latency to arrive, which is not a rate.
    steady = started.get(timeout=WAIT_S) + MOTION_RAMP_S
    time.sleep(max(0.0, steady - time.monotonic()))
    start, cpu0, frames0 = time.monotonic(), applet.cpu_s(), console.video_frames()
    time.sleep(max(0.0, steady - MOTION_RAMP_S + seconds - time.monotonic()))
    end, cpu1, frames1 = time.monotonic(), applet.cpu_s(), console.video_frames()
    scroller.join()
    wall = end - start
    _print_busiest(before, _cpu_by_process(), wall)
    return {
        "motion_fps": round((frames1 - frames0) / wall, 1),
        "motion_applet_cores": round((cpu1 - cpu0) / wall, 3),
    }


def _cpu_by_process() -> dict[tuple[int, str], float]:
    seen: dict[tuple[int, str], float] = {}
    for process in psutil.process_iter(["name", "cpu_times"]):
        times = process.info["cpu_times"]
        if times is not None:
            seen[(process.pid, process.info["name"])] = times.user + times.system
    return seen


CpuTimes = dict[tuple[int, str], float]


def _print_busiest(before: CpuTimes, after: CpuTimes, wall: float) -> None:
    """Where the machine's CPU went (stderr): what else competes on 2 cores."""
    used = {key: after[key] - before.get(key, 0.0) for key in after}
    top = sorted(used.items(), key=lambda item: -item[1])[:8]
    print(
        "busiest: "
        + ", ".join(f"{name} {spent / wall:.2f}" for (_, name), spent in top),
        file=sys.stderr,
    )


def input_latency(console: Console, display: str, clicks: int) -> dict[str, float]:
    x, y, w, h = TARGET
    times: list[float] = []
    missed = 0
    with click_target(display):
        for number in range(clicks):
            console.arm_click_timer(TARGET)
            console.click(x + w // 2 + number % 7, y + h // 2)
            took = console.click_time_ms()
            if took is None:
                missed += 1
            else:
                times.append(took)
            time.sleep(0.25)
    return {
        "input_p50_ms": round(percentile(times, 0.5), 1),
        "input_p99_ms": round(percentile(times, 0.99), 1),
        "input_missed": missed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter phases")
    parser.add_argument("--codec", default="h264", choices=("h264", "vp8", "vp9"))
    parser.add_argument(
        "--only",
        default="minute,still,motion,input",
        help="comma-separated parts to run (default: all of them)",
    )
    args = parser.parse_args()
    still_s, motion_s, clicks = (
        (8.0, 6.0, 15) if args.quick else (STILL_S, MOTION_S, CLICKS)
    )

    from playwright.sync_api import sync_playwright

    figures: dict[str, Any] = {"codec": args.codec}
    with (
        tempfile.TemporaryDirectory(
            prefix="lifebuoy-screen-", ignore_cleanup_errors=True
        ) as temp,
        desktop() as display,
        start_site(Path(temp) / "site") as site,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        console, applet = open_session(site, browser, display, Path(temp), args.codec)
        try:
            parts = args.only.split(",")
            if "minute" in parts:
                figures |= minute(console, applet, display)
            if "still" in parts:
                figures |= still(console, applet, still_s)
            if "motion" in parts:
                figures |= motion(console, applet, display, motion_s)
            if "input" in parts:
                figures |= input_latency(console, display, clicks)
        finally:
            applet.stop()
            browser.close()
        figures["capture_ms"] = round(capture_ms(display), 2)
    figures["raw_frame_kb"] = WIDTH * HEIGHT * 4 // 1000
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
