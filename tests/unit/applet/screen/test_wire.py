"""Byte layouts against docs/screen.md."""

from __future__ import annotations

import json

import pytest

from lifebuoy.applet.screen import _wire as wire
from lifebuoy.applet.screen._tiles import Rect


def test_video_header_layout() -> None:
    picture = wire.video(
        [Rect(1, 2, 3, 4), Rect(0x102, 0x304, 0x506, 0x708)],
        b"DATA",
        key=True,
        at=10.0,
    )
    message = picture.encode(0x01020304, now=10.013)
    assert message == (
        b"\x00\x01"  # binary, video
        b"\x01\x02\x03\x04"  # seq
        b"\x01"  # flags: key frame
        b"\x00\x0d"  # encode_ms 13
        b"\x00\x02"  # n
        b"\x00\x01\x00\x02\x00\x03\x00\x04"
        b"\x01\x02\x03\x04\x05\x06\x07\x08"
        b"DATA"
    )
    assert picture.size == len(message)


def test_video_delta_flag_and_encode_ms_clamped() -> None:
    message = wire.video([], b"", key=False, at=0.0).encode(7, now=1000.0)
    assert message == b"\x00\x01\x00\x00\x00\x07\x00\xff\xff\x00\x00"


def test_sharp_layout() -> None:
    picture = wire.sharp([(Rect(5, 6, 7, 8), b"RIFFxx"), (Rect(0, 0, 1, 1), b"")])
    message = picture.encode(9, now=0.0)
    assert message == (
        b"\x00\x02\x00\x00\x00\x09\x00\x02"
        b"\x00\x05\x00\x06\x00\x07\x00\x08\x00\x00\x00\x06RIFFxx"
        b"\x00\x00\x00\x00\x00\x01\x00\x01\x00\x00\x00\x00"
    )
    assert picture.size == len(message)


def test_cursor_shape_layout() -> None:
    rgba = bytes(range(16))
    message = wire.cursor_shape(0x0A0B0C0D, 2, 2, (1, 0), rgba)
    assert message == (
        b"\x00\x03\x0a\x0b\x0c\x0d\x00\x02\x00\x02\x00\x01\x00\x00" + rgba
    )
    with pytest.raises(ValueError, match="size"):
        wire.cursor_shape(1, 3, 2, (0, 0), rgba)


def test_json_messages_start_with_a_brace() -> None:
    message = wire.json_message("cursor", x=1, y=2, shape=3, visible=True)
    assert message.startswith(b"{")
    assert json.loads(message) == {
        "t": "cursor",
        "x": 1,
        "y": 2,
        "shape": 3,
        "visible": True,
    }
