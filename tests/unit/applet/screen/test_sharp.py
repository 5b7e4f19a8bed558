from __future__ import annotations

import io
import struct

import numpy as np
from PIL import Image

from lifebuoy.applet.screen import _wire as wire
from lifebuoy.applet.screen._sharp import (
    SHARP_AFTER_S,
    SharpTracker,
    messages,
    webp,
)
from lifebuoy.applet.screen._tiles import Rect


def test_region_is_due_only_after_it_stayed_still() -> None:
    tracker = SharpTracker(320, 240)
    tracker.painted([Rect(10, 20, 30, 5)], now=1.0)
    assert tracker.next_due() == 1.0 + SHARP_AFTER_S
    assert tracker.due(1.0 + SHARP_AFTER_S - 0.01) == []

    tracker.painted([Rect(12, 22, 3, 3)], now=1.3)  # painted again: clock restarts
    assert tracker.due(1.0 + SHARP_AFTER_S + 0.01) == []
    assert tracker.due(1.3 + SHARP_AFTER_S) == [Rect(10, 20, 30, 5)]


def test_region_is_sent_sharp_only_once() -> None:
    tracker = SharpTracker(320, 240)
    tracker.painted([Rect(100, 100, 100, 10)], now=0.0)
    due = tracker.due(SHARP_AFTER_S + 0.1)
    assert due == [Rect(100, 100, 100, 10)]
    tracker.sent(due)
    assert tracker.due(5.0) == []
    assert tracker.next_due() == float("inf")
    tracker.painted([Rect(150, 105, 2, 2)], now=6.0)
    assert tracker.due(6.0 + SHARP_AFTER_S + 0.1) == [Rect(150, 105, 2, 2)]


def test_due_rects_hug_what_video_painted() -> None:
    tracker = SharpTracker(640, 480)
    tracker.painted([Rect(60, 60, 10, 10), Rect(100, 70, 5, 5)], now=0.0)
    # Tiles (0,0), (0,1), (1,0), (1,1) are lossy; together they are one block,
    # shrunk to the union of both paints.
    assert tracker.due(SHARP_AFTER_S + 0.1) == [Rect(60, 60, 45, 15)]


def test_webp_is_lossless() -> None:
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (30, 40, 4), dtype=np.uint8)
    image = Image.open(io.BytesIO(webp(pixels[5:25, 3:33]))).convert("RGB")
    expected = pixels[5:25, 3:33, 2::-1]
    assert np.array_equal(np.asarray(image), expected)


def test_big_sharp_updates_are_split_under_one_mib() -> None:
    frame = np.zeros((1000, 1000, 4), dtype=np.uint8)

    def fat(pixels: np.ndarray) -> bytes:
        return b"x" * (pixels.shape[0] * pixels.shape[1] * 3)  # 3 bytes a pixel

    pictures, covered = messages(frame, [Rect(0, 0, 1000, 1000)], most=3, encode=fat)
    assert len(pictures) == 3
    assert all(p.size <= wire.MAX_MESSAGE for p in pictures)
    # 3 MB of image: quarters of 750 KB, one a message; three of the four go.
    assert covered == [Rect(0, y, 1000, 250) for y in (0, 250, 500)]
    body = pictures[0].encode(1, 0.0)
    assert struct.unpack(">HHHHHI", body[6:20]) == (1, 0, 0, 1000, 250, 750_000)


def test_slots_limit_the_messages() -> None:
    frame = np.zeros((100, 100, 4), dtype=np.uint8)
    assert messages(frame, [Rect(0, 0, 10, 10)], most=0) == ([], [])
