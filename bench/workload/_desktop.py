"""The virtual desktop: Xvfb at 1920x1080x24 with a plain background, no
window manager (windows sit exactly where their programs put them)."""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from Xlib import display as xdisplay

__all__ = [
    "BACKGROUND",
    "HEIGHT",
    "PACKAGES",
    "WIDTH",
    "desktop",
    "ensure_packages",
    "start_desktop",
    "stop_desktop",
]

logger = logging.getLogger(__name__)

WIDTH = 1920
HEIGHT = 1080
BACKGROUND = 0x3A6EA5
"""The root window's colour (RGB): a plain blue desktop, no wallpaper."""

PACKAGES = {"xvfb": "Xvfb", "tk8.6": "wish8.6", "fonts-dejavu-core": None}
"""Debian packages the workload needs, with a program that shows each is there
(the font package is checked through its file)."""

_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
_X_FILES = Path("/tmp")  # noqa: S108 (where every X server keeps its lock)
_SOCKETS = _X_FILES / ".X11-unix"
_XVFB_FLAGS = ("-dpi", "96", "-nolisten", "tcp", "-noreset")
_servers: dict[str, subprocess.Popen[bytes]] = {}


def ensure_packages() -> None:
    """Install the Debian packages the workload needs when they are missing."""
    missing = [
        name
        for name, program in PACKAGES.items()
        if (shutil.which(program) is None if program else not _FONT.exists())
    ]
    if missing:
        logger.info("installing %s", " ".join(missing))
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True)


def start_desktop() -> str:
    """Start Xvfb on a free display number and paint the background.

    Returns the display name (``":N"``); stop it with :func:`stop_desktop`.
    """
    ensure_packages()
    number = next(
        n
        for n in range(120, 600)
        if not (_SOCKETS / f"X{n}").exists() and not (_X_FILES / f".X{n}-lock").exists()
    )
    name = f":{number}"
    server = subprocess.Popen(
        ["Xvfb", name, "-screen", "0", f"{WIDTH}x{HEIGHT}x24", *_XVFB_FLAGS],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _servers[name] = server

    deadline = time.monotonic() + 20
    while not (_SOCKETS / f"X{number}").exists():
        if server.poll() is not None or time.monotonic() > deadline:
            stop_desktop(name)
            raise RuntimeError(f"Xvfb did not start on {name}")
        time.sleep(0.05)
    _paint_background(name)
    logger.info("desktop %s started", name)
    return name


def stop_desktop(name: str) -> None:
    """Stop an Xvfb started by :func:`start_desktop`."""
    server = _servers.pop(name, None)
    if server is not None:
        server.terminate()
        server.wait(timeout=10)


@contextlib.contextmanager
def desktop() -> Iterator[str]:
    """:func:`start_desktop` for the length of a ``with`` block."""
    name = start_desktop()
    try:
        yield name
    finally:
        stop_desktop(name)


def _paint_background(name: str) -> None:
    connection = xdisplay.Display(name)
    try:
        root = connection.screen().root
        root.change_attributes(background_pixel=BACKGROUND)
        root.clear_area(0, 0, WIDTH, HEIGHT)
        connection.sync()
    finally:
        connection.close()
