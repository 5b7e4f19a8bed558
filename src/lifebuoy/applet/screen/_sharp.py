"""Sharp refresh: re-sending still regions losslessly.

Theory of operation. Video is lossy; text painted by it is a little blurred.
For every tile the tracker remembers the box that lossy video painted in it
since the tile was last sent sharp, and when. Once a tile has not been
painted for ``SHARP_AFTER_S``, its box is due: due tiles are merged into
rectangles, each shrunk to the union of its tiles' boxes, and encoded as
lossless WebP from the latest capture (which is exactly what the last video
frame showed). A tile is sent sharp once, and again only after video paints
it again.

Messages stay under 1 MiB: rectangles are packed greedily, and a rectangle
whose image alone would not fit is halved until it does.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

import numpy as np
from PIL import Image

from . import _wire as wire
from ._tiles import TILE, Frame, Mask, Rect, block_rect, merge, tile_grid

logger = logging.getLogger(__name__)

SHARP_AFTER_S = 1.2
"""A region that changes about once a second (slow scrolling, typing) is
still moving; refreshing it after each change would send the same page
losslessly again and again (bench/screen.py: 525 KB for ten wheel notches at
0.5 s, against one refresh after the last notch)."""
WEBP_METHOD = 0
"""Pillow's fastest lossless effort; on text it is within a few per cent of
the slower methods (docs/screen.md measurements)."""

Encode = Callable[[Frame], bytes]


def webp(pixels: Frame) -> bytes:
    """BGRA pixels as a lossless WebP (alpha dropped: the screen is opaque)."""
    height, width = pixels.shape[:2]
    data = np.ascontiguousarray(pixels)
    image = Image.frombuffer("RGB", (width, height), data, "raw", "BGRX", 0, 1)
    out = io.BytesIO()
    image.save(out, format="WEBP", lossless=True, method=WEBP_METHOD, exact=True)
    return out.getvalue()


class SharpTracker:
    """Which tiles were painted lossily, where, and when."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        rows, cols = tile_grid(width, height)
        self._painted = np.full((rows, cols), np.inf)
        # Lossy box per tile, in picture pixels: x0, y0, x1, y1 (empty: x0 > x1).
        self._box = np.zeros((rows, cols, 4), dtype=np.int32)
        self._clear(np.ones((rows, cols), dtype=np.bool_))

    def painted(self, rects: list[Rect], now: float) -> None:
        """Video painted ``rects`` at ``now``."""
        for r in rects:
            r0, r1 = r.y // TILE, (r.y + r.h - 1) // TILE + 1
            c0, c1 = r.x // TILE, (r.x + r.w - 1) // TILE + 1
            self._painted[r0:r1, c0:c1] = now
            box = self._box[r0:r1, c0:c1]
            np.minimum(box[..., 0], r.x, out=box[..., 0])
            np.minimum(box[..., 1], r.y, out=box[..., 1])
            np.maximum(box[..., 2], r.x + r.w, out=box[..., 2])
            np.maximum(box[..., 3], r.y + r.h, out=box[..., 3])

    def next_due(self) -> float:
        """When the next tile becomes due (``inf`` if none is lossy)."""
        return float(self._painted.min()) + SHARP_AFTER_S

    def due(self, now: float) -> list[Rect]:
        """The rectangles to send sharp now (not yet marked as sent)."""
        mask = self._painted + SHARP_AFTER_S <= now
        rects = []
        for block in merge(mask):
            row, col, rows, cols = block
            boxes = self._box[row : row + rows, col : col + cols].reshape(-1, 4)
            outer = block_rect(block, self.width, self.height)
            x0 = max(outer.x, int(boxes[:, 0].min()))
            y0 = max(outer.y, int(boxes[:, 1].min()))
            x1 = min(outer.x + outer.w, int(boxes[:, 2].max()))
            y1 = min(outer.y + outer.h, int(boxes[:, 3].max()))
            if x1 > x0 and y1 > y0:
                rects.append(Rect(x0, y0, x1 - x0, y1 - y0))
        return rects

    def sent(self, rects: list[Rect]) -> None:
        """``rects`` went out sharp: their tiles are clean until painted again."""
        mask = np.zeros(self._painted.shape, dtype=np.bool_)
        for r in rects:
            r0, r1 = r.y // TILE, (r.y + r.h - 1) // TILE + 1
            c0, c1 = r.x // TILE, (r.x + r.w - 1) // TILE + 1
            mask[r0:r1, c0:c1] = True
        self._clear(mask & (self._painted != np.inf))

    def _clear(self, mask: Mask) -> None:
        self._painted[mask] = np.inf
        self._box[mask] = (1 << 30, 1 << 30, -1, -1)


def messages(
    frame: Frame, rects: list[Rect], most: int, encode: Encode = webp
) -> tuple[list[wire.Picture], list[Rect]]:
    """At most ``most`` sharp messages for ``rects``; returns them and the
    rectangles they cover (the rest wait for a later round)."""
    if most <= 0:
        return [], []
    limit = wire.MAX_MESSAGE - wire.SHARP_FIXED
    pictures: list[wire.Picture] = []
    covered: list[Rect] = []
    entries: list[tuple[Rect, bytes]] = []
    size = 0
    for rect in rects:
        for part, image in _images(frame, rect, encode, limit - wire.SHARP_ENTRY):
            cost = wire.SHARP_ENTRY + len(image)
            if entries and size + cost > limit:
                pictures.append(wire.sharp(entries))
                entries, size = [], 0
                if len(pictures) == most:
                    return pictures, covered
            entries.append((part, image))
            size += cost
            covered.append(part)
    if entries and len(pictures) < most:
        pictures.append(wire.sharp(entries))
    elif entries:
        covered = covered[: len(covered) - len(entries)]
    return pictures, covered


def _images(
    frame: Frame, rect: Rect, encode: Encode, limit: int
) -> list[tuple[Rect, bytes]]:
    image = encode(frame[rect.y : rect.y + rect.h, rect.x : rect.x + rect.w])
    if len(image) <= limit:
        return [(rect, image)]
    if rect.h > 1:
        top = rect.h // 2
        halves = [Rect(rect.x, rect.y, rect.w, top)]
        halves.append(Rect(rect.x, rect.y + top, rect.w, rect.h - top))
    else:
        left = rect.w // 2
        halves = [Rect(rect.x, rect.y, left, 1)]
        halves.append(Rect(rect.x + left, rect.y, rect.w - left, 1))
    logger.debug("sharp region %s too big (%d bytes), split", rect, len(image))
    return [pair for half in halves for pair in _images(frame, half, encode, limit)]
