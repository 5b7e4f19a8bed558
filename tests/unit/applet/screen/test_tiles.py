from __future__ import annotations

import numpy as np

from lifebuoy.applet.screen._tiles import (
    MAX_RECTS,
    Rect,
    changed_rects,
    dirty_tiles,
    merge,
)


def blank(width: int = 256, height: int = 200) -> np.ndarray:
    return np.zeros((height, width, 4), dtype=np.uint8)


def test_dirty_tiles_marks_only_tiles_with_a_changed_pixel() -> None:
    a, b = blank(), blank()
    b[70, 130, 1] = 9  # tile row 1, column 2
    b[199, 255, 0] = 1  # last (partial) tile
    tiles = dirty_tiles(np.any(a != b, axis=2))
    assert tiles.shape == (4, 4)
    assert sorted(zip(*np.nonzero(tiles), strict=True)) == [(1, 2), (3, 3)]


def test_merge_joins_runs_and_stacks_equal_spans() -> None:
    tiles = np.zeros((4, 5), dtype=bool)
    tiles[0:3, 1:3] = True  # a 3x2 block
    tiles[1, 4] = True  # a single tile
    tiles[3, 0:5] = True  # a full row
    assert merge(tiles) == [(0, 1, 3, 2), (1, 4, 1, 1), (3, 0, 1, 5)]


def test_changed_rects_are_tight_around_changed_pixels() -> None:
    a, b = blank(), blank()
    b[10:30, 100:111] = 255  # "a character" inside tiles (0,1) and (0,2)
    assert changed_rects(b, a) == [Rect(100, 10, 11, 20)]


def test_nothing_changed_gives_no_rects() -> None:
    assert changed_rects(blank(), blank()) == []


def test_too_many_rects_become_their_bounding_box() -> None:
    a, b = blank(1920, 1080), blank(1920, 1080)
    b[0:1080:128, 0:1920:128] = 1  # one pixel in many separate tiles
    assert len(merge(dirty_tiles(np.any(a != b, axis=2)))) > MAX_RECTS
    assert changed_rects(b, a) == [Rect(0, 0, 1793, 1025)]
