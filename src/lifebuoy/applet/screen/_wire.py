"""The screen messages of docs/screen.md, as bytes.

Binary messages start with ``0x00`` and a kind byte; integers are big-endian.
Picture messages (video, sharp) carry a ``seq`` that only the streamer's
event-loop side knows when the message is about to go out, so the pipeline
hands over a ``Picture`` without it and ``Picture.encode(seq)`` finishes it.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._tiles import Rect

VIDEO = 0x01
SHARP = 0x02
CURSOR_SHAPE = 0x03

MAX_MESSAGE = 1 << 20
"""One channel message, the most any screen message may take (1 MiB)."""
VIDEO_FIXED = 2 + 4 + 1 + 2 + 2
"""Bytes of a video header before its rectangles."""
SHARP_FIXED = 2 + 4 + 2
"""Bytes of a sharp header before its entries."""
SHARP_ENTRY = 8 + 4
"""Bytes of one sharp entry before its WebP image."""
MAX_FIELD = 0xFFFF


def json_message(kind: str, **fields: Any) -> bytes:
    """A JSON message as the applet sends them (``t`` first, UTF-8)."""
    return json.dumps({"t": kind, **fields}, ensure_ascii=False).encode("utf-8")


def _rects(rects: Sequence[Rect]) -> bytes:
    return b"".join(struct.pack(">4H", r.x, r.y, r.w, r.h) for r in rects)


@dataclass(frozen=True)
class Picture:
    """A video or sharp message waiting for its sequence number."""

    kind: int
    """``VIDEO`` or ``SHARP``."""
    body: bytes
    """Everything after ``seq`` for sharp; after ``encode_ms`` for video."""
    key: bool = False
    """A video key frame."""
    captured_at: float = 0.0
    """``time.monotonic()`` of the capture, for ``encode_ms``."""

    def encode(self, seq: int, now: float) -> bytes:
        """The message as sent, numbered ``seq``."""
        if self.kind == SHARP:
            return struct.pack(">BBI", 0, SHARP, seq) + self.body
        encode_ms = min(MAX_FIELD, max(0, round((now - self.captured_at) * 1000)))
        head = struct.pack(">BBIBH", 0, VIDEO, seq, int(self.key), encode_ms)
        return head + self.body

    @property
    def size(self) -> int:
        """Length of the encoded message."""
        return len(self.body) + (VIDEO_FIXED - 2 if self.kind == VIDEO else 6)


def video(rects: Sequence[Rect], data: bytes, *, key: bool, at: float) -> Picture:
    """A ``00 01`` video message: the painted rectangles and one encoded frame."""
    body = struct.pack(">H", len(rects)) + _rects(rects) + data
    return Picture(VIDEO, body, key=key, captured_at=at)


def sharp(entries: Sequence[tuple[Rect, bytes]]) -> Picture:
    """A ``00 02`` sharp message: rectangles with their lossless WebP images."""
    parts = [struct.pack(">H", len(entries))]
    for rect, webp in entries:
        parts.append(struct.pack(">4HI", rect.x, rect.y, rect.w, rect.h, len(webp)))
        parts.append(webp)
    return Picture(SHARP, b"".join(parts))


def cursor_shape(
    shape: int, w: int, h: int, hot: tuple[int, int], rgba: bytes
) -> bytes:
    """A ``00 03`` cursor shape message (``rgba``: w x h x 4 bytes)."""
    if len(rgba) != w * h * 4:
        raise ValueError("cursor pixels do not match the size")
    return struct.pack(">BBI4H", 0, CURSOR_SHAPE, shape, w, h, *hot) + rgba
