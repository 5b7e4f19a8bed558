"""Finding what changed between two captures.

A frame is cut into ``TILE`` x ``TILE`` tiles; a tile is dirty when any pixel
in it differs. The comparison is one vectorised numpy pass over the frames
seen as 32-bit pixels, so a 1080p frame costs a few milliseconds. Dirty tiles
are then merged into a few rectangles (runs along a tile row, then runs of
identical spans down the rows) and each rectangle is shrunk to the pixels
that really changed: typing one character paints a 10 x 20 box, not two
tiles, which keeps both the lossy video paint and the later sharp refresh
small.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

TILE = 64
MAX_RECTS = 64
"""More rectangles than this become their bounding box (one header entry)."""

Frame = npt.NDArray[np.uint8]
"""A BGRA picture, shape (height, width, 4)."""
Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Rect:
    """A rectangle in picture pixels."""

    x: int
    y: int
    w: int
    h: int

    @property
    def area(self) -> int:
        return self.w * self.h


def tile_grid(width: int, height: int) -> tuple[int, int]:
    """Rows and columns of tiles covering a picture."""
    return -(-height // TILE), -(-width // TILE)


def changed_pixels(current: Frame, previous: Frame) -> Mask:
    """Per pixel: does it differ (alpha ignored by X, compared anyway)."""
    height, width = current.shape[:2]
    a = current.view(np.uint32).reshape(height, width)
    b = previous.view(np.uint32).reshape(height, width)
    return np.not_equal(a, b)


def dirty_tiles(changed: Mask) -> Mask:
    """Per tile: does any pixel in it differ."""
    height, width = changed.shape
    rows, cols = tile_grid(width, height)
    pad_h, pad_w = rows * TILE - height, cols * TILE - width
    if pad_h or pad_w:
        changed = np.pad(changed, ((0, pad_h), (0, pad_w)))
    grid = changed.reshape(rows, TILE, cols, TILE).any(axis=(1, 3))
    return np.asarray(grid, dtype=np.bool_)


def merge(tiles: Mask) -> list[tuple[int, int, int, int]]:
    """Dirty tiles as (row, col, rows, cols) blocks: runs along each row, then
    runs of rows with identical spans stacked."""
    open_blocks: dict[tuple[int, int], list[int]] = {}
    done: list[tuple[int, int, int, int]] = []
    for row in range(tiles.shape[0]):
        spans = _runs(tiles[row])
        for span in list(open_blocks):
            if span not in spans:
                top, count = open_blocks.pop(span)
                done.append((top, span[0], count, span[1]))
        for span in spans:
            if span in open_blocks:
                open_blocks[span][1] += 1
            else:
                open_blocks[span] = [row, 1]
    done.extend((top, s[0], n, s[1]) for s, (top, n) in open_blocks.items())
    return sorted(done)


def _runs(row: Mask) -> list[tuple[int, int]]:
    """(start, length) of each run of True."""
    padded = np.concatenate(([False], row, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(s), int(e - s)) for s, e in zip(edges[::2], edges[1::2], strict=True)]


def block_rect(block: tuple[int, int, int, int], width: int, height: int) -> Rect:
    """The pixel rectangle of a tile block, clipped to the picture."""
    row, col, rows, cols = block
    x, y = col * TILE, row * TILE
    return Rect(x, y, min(cols * TILE, width - x), min(rows * TILE, height - y))


def tighten(rect: Rect, changed: Mask) -> Rect | None:
    """``rect`` shrunk to the changed pixels inside it (None if there are none)."""
    part = changed[rect.y : rect.y + rect.h, rect.x : rect.x + rect.w]
    rows = np.flatnonzero(part.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(part[rows[0] : rows[-1] + 1].any(axis=0))
    top, left = int(rows[0]), int(cols[0])
    return Rect(
        rect.x + left, rect.y + top, int(cols[-1]) - left + 1, int(rows[-1]) - top + 1
    )


def changed_rects(current: Frame, previous: Frame) -> list[Rect]:
    """The regions that differ, tight, at most ``MAX_RECTS`` of them."""
    changed = changed_pixels(current, previous)
    height, width = changed.shape
    rects = []
    for block in merge(dirty_tiles(changed)):
        rect = tighten(block_rect(block, width, height), changed)
        if rect is not None:
            rects.append(rect)
    if len(rects) > MAX_RECTS:
        return [bounding(rects)]
    return rects


def bounding(rects: list[Rect]) -> Rect:
    """The smallest rectangle holding all of ``rects``."""
    x0 = min(r.x for r in rects)
    y0 = min(r.y for r in rects)
    x1 = max(r.x + r.w for r in rects)
    y1 = max(r.y + r.h for r in rects)
    return Rect(x0, y0, x1 - x0, y1 - y0)
