"""A virtual X screen (Xvfb) for a test, and a PNG of it through libX11's
``XGetImage`` (ctypes; no image library needed)."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import shutil
import struct
import subprocess
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

_SOCKETS = Path("/tmp/.X11-unix")
_ZPIXMAP = 2
_ALL_PLANES = 0xFFFFFFFF


class _XImage(ctypes.Structure):
    _fields_ = [
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("xoffset", ctypes.c_int),
        ("format", ctypes.c_int),
        ("data", ctypes.c_void_p),
        ("byte_order", ctypes.c_int),
        ("bitmap_unit", ctypes.c_int),
        ("bitmap_bit_order", ctypes.c_int),
        ("bitmap_pad", ctypes.c_int),
        ("depth", ctypes.c_int),
        ("bytes_per_line", ctypes.c_int),
        ("bits_per_pixel", ctypes.c_int),
    ]


def available() -> bool:
    return (
        shutil.which("Xvfb") is not None and ctypes.util.find_library("X11") is not None
    )


@contextlib.contextmanager
def virtual_screen(width: int = 1280, height: int = 800) -> Iterator[str]:
    """Start Xvfb on a free display number; yields ``":N"``; stops it after."""
    number = next(
        n
        for n in range(90, 400)
        if not (_SOCKETS / f"X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists()
    )
    server = subprocess.Popen(
        [
            "Xvfb",
            f":{number}",
            "-screen",
            "0",
            f"{width}x{height}x24",
            "-nolisten",
            "tcp",
            # Without it the server resets when its last client leaves, and a
            # test connecting in that moment has its connection reset.
            "-noreset",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not (_SOCKETS / f"X{number}").exists():
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Xvfb did not start")
            time.sleep(0.05)
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def screenshot(display: str, path: Path) -> tuple[int, int, int]:
    """Save the whole screen as a PNG; returns (width, height, distinct colours
    in a sample) so a test can tell it is not blank."""
    x11 = ctypes.CDLL(ctypes.util.find_library("X11"))
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XDefaultRootWindow.restype = ctypes.c_ulong
    x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x11.XDefaultScreen.argtypes = [ctypes.c_void_p]
    x11.XDisplayWidth.argtypes = x11.XDisplayHeight.argtypes = [
        ctypes.c_void_p,
        ctypes.c_int,
    ]
    x11.XGetImage.restype = ctypes.POINTER(_XImage)
    x11.XGetImage.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_ulong,
        ctypes.c_int,
    ]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]

    connection = x11.XOpenDisplay(display.encode())
    if not connection:
        raise RuntimeError(f"cannot open display {display}")
    try:
        screen = x11.XDefaultScreen(connection)
        width = x11.XDisplayWidth(connection, screen)
        height = x11.XDisplayHeight(connection, screen)
        root = x11.XDefaultRootWindow(connection)
        image = x11.XGetImage(
            connection, root, 0, 0, width, height, _ALL_PLANES, _ZPIXMAP
        ).contents
        assert image.bits_per_pixel == 32, image.bits_per_pixel
        raw = ctypes.string_at(image.data, image.bytes_per_line * height)
        stride = image.bytes_per_line
    finally:
        x11.XCloseDisplay(connection)

    rows = []
    for y in range(height):
        bgrx = raw[y * stride : y * stride + width * 4]
        rgb = bytearray(width * 3)
        rgb[0::3], rgb[1::3], rgb[2::3] = bgrx[2::4], bgrx[1::4], bgrx[0::4]
        rows.append(b"\x00" + bytes(rgb))
    path.write_bytes(_png(width, height, b"".join(rows)))
    sample = {raw[i : i + 3] for i in range(0, len(raw), 4 * 97)}
    return width, height, len(sample)


def _png(width: int, height: int, scanlines: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(scanlines, 6))
        + chunk(b"IEND", b"")
    )
