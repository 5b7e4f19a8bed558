"""The scenarios: the typical support minute and full-screen motion.

Every step happens at a fixed offset from the start of its phase on the
monotonic clock, so two runs put the same pictures on the screen at the same
moments (as far as the machine keeps up; a late step is done late, never
skipped).
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ._desktop import HEIGHT, WIDTH
from ._prose import TYPED_TEXT
from ._xinput import Driver

__all__ = [
    "DRAG_PX",
    "EDITOR",
    "MINUTE",
    "MOTION_LINES",
    "MOTION_PERIOD_MS",
    "VIEWER",
    "Phase",
    "PhaseCallback",
    "Rect",
    "run_minute",
    "run_motion",
    "text_regions",
]

PhaseCallback = Callable[[str, float], None]


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    width: int
    height: int

    def geometry(self) -> str:
        return f"{self.width}x{self.height}+{self.x}+{self.y}"


@dataclass(frozen=True)
class Phase:
    name: str
    """``still``, ``typing``, ``scrolling``, ``dragging`` or ``motion``."""
    start: float
    """``time.monotonic()`` when the phase began."""
    end: float
    """``time.monotonic()`` when it ended."""


VIEWER = Rect(40, 40, 1000, 1000)
"""The document viewer during the minute (it does not move)."""
EDITOR = Rect(1100, 80, 760, 420)
"""The editor where the minute starts; the drag moves it left by ``DRAG_PX``."""
DRAG_PX = WIDTH // 2

MINUTE = (("still", 25.0), ("typing", 20.0), ("scrolling", 10.0), ("dragging", 5.0))
"""The phases of the minute and their lengths in seconds."""
TYPING_CPS = 4
DRAG_S, DRAG_HZ = 2.0, 60
MOTION_LINES, MOTION_PERIOD_MS = 3, 16

_PACKAGE = Path(__file__).resolve().parent
_SETTLE_S = 1.0


def text_regions() -> list[Rect]:
    """Screen rectangles that hold static text at the end of the still phase:
    the viewer's page and the editor's notes (each window is all text)."""
    return [VIEWER, EDITOR]


def run_minute(display: str, *, on_phase: PhaseCallback | None = None) -> list[Phase]:
    """Play the typical support minute on ``display``; returns its phases.

    ``on_phase(name, start)`` is called as each phase begins, and once more
    with ``"end"``. The applications are started before the minute (and
    given a second to settle) and closed after it.
    """
    with (
        _application("viewer", VIEWER, display),
        _application("editor", EDITOR, display) as editor,
        contextlib.closing(Driver(display)) as driver,
    ):
        driver.focus(editor.window)
        time.sleep(_SETTLE_S)
        return _play_minute(driver, driver.top_level(editor.window), on_phase)


def run_motion(
    display: str, seconds: float, *, on_phase: PhaseCallback | None = None
) -> list[Phase]:
    """Scroll a full-screen document by ``MOTION_LINES`` lines every
    ``MOTION_PERIOD_MS`` for ``seconds``; returns the one ``motion`` phase."""
    with _application("viewer", Rect(0, 0, WIDTH, HEIGHT), display) as viewer:
        time.sleep(_SETTLE_S)
        start = _begin("motion", on_phase)
        viewer.send(f"scroll {MOTION_LINES} {MOTION_PERIOD_MS}")
        _sleep_until(start + seconds)
        end = _begin("end", on_phase)
        return [Phase("motion", start, end)]


def _play_minute(
    driver: Driver, editor: int, on_phase: PhaseCallback | None
) -> list[Phase]:
    steps: dict[str, Callable[[float], None]] = {
        "still": lambda start: None,
        "typing": lambda start: _type(driver, start),
        "scrolling": lambda start: _scroll(driver, start),
        "dragging": lambda start: _drag(driver, editor, start),
    }
    phases = []
    for name, seconds in MINUTE:
        start = _begin(name, on_phase)
        steps[name](start)
        _sleep_until(start + seconds)
        phases.append(Phase(name, start, time.monotonic()))
    _begin("end", on_phase)
    return phases


def _type(driver: Driver, start: float) -> None:
    driver.point(EDITOR.x + EDITOR.width // 2, EDITOR.y + EDITOR.height // 2)
    for i, character in enumerate(TYPED_TEXT):
        _sleep_until(start + i / TYPING_CPS)
        driver.type_character(character)


def _scroll(driver: Driver, start: float) -> None:
    driver.point(VIEWER.x + VIEWER.width // 2, VIEWER.y + VIEWER.height // 2)
    for i in range(10):
        _sleep_until(start + i)
        driver.wheel_down()


def _drag(driver: Driver, editor: int, start: float) -> None:
    steps = round(DRAG_S * DRAG_HZ)
    for i in range(1, steps + 1):
        _sleep_until(start + i / DRAG_HZ)
        driver.move_window(editor, EDITOR.x - DRAG_PX * i // steps, EDITOR.y)


def _begin(name: str, on_phase: PhaseCallback | None) -> float:
    start = time.monotonic()
    if on_phase is not None:
        on_phase(name, start)
    return start


def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)


@dataclass
class _Application:
    process: subprocess.Popen[str]
    window: int

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()


@contextlib.contextmanager
def _application(kind: str, where: Rect, display: str) -> Iterator[_Application]:
    """Start one of the Tk programs of ``_app`` and wait until it is drawn."""
    env = {**os.environ, "DISPLAY": display, "PYTHONPATH": str(_PACKAGE.parent)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            f"{_PACKAGE.name}._app",
            kind,
            "--geometry",
            where.geometry(),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        yield _Application(process, _wait_ready(process))
    finally:
        if process.poll() is None:
            with contextlib.suppress(BrokenPipeError):
                _Application(process, 0).send("quit")
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(process: subprocess.Popen[str], timeout: float = 30) -> int:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline().split() if ready else []
    if len(line) != 2 or line[0] != "ready":
        raise RuntimeError(f"workload application did not start: {line}")
    return int(line[1], 16)
