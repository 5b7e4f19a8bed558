"""A fake screen for the streamer's tests: numpy frames, any monitors."""

from __future__ import annotations

import numpy as np

from lifebuoy.applet.screen import CursorImage, Monitor, Pointer


def desktop(width: int, height: int, seed: int = 1) -> np.ndarray:
    """A light desktop with text-like dark strokes."""
    rng = np.random.default_rng(seed)
    frame = np.full((height, width, 4), 235, dtype=np.uint8)
    for _ in range(width * height // 20000):
        y, x = int(rng.integers(0, height - 12)), int(rng.integers(0, width - 60))
        frame[y : y + 10, x : x + 60 : 3, :3] = rng.integers(0, 90, (10, 20, 3))
    return frame


class FakeSource:
    """A screen whose pixels the test paints into ``canvas``."""

    poll_interval = 0.02

    def __init__(self, monitors: list[Monitor] | None = None) -> None:
        self._monitors = monitors or [Monitor(1, 0, 0, 320, 240, True)]
        width = max(m.x + m.width for m in self._monitors)
        height = max(m.y + m.height for m in self._monitors)
        self.canvas = desktop(width, height)
        self.grabs: list[tuple[int, int, int, int]] = []
        self.pointer_at: Pointer | None = None
        self.closed = False
        self.fail: Exception | None = None
        self.relayout = False

    def monitors(self) -> list[Monitor]:
        return list(self._monitors)

    def grab(self, x: int, y: int, width: int, height: int) -> np.ndarray:
        if self.fail is not None:
            raise self.fail
        self.grabs.append((x, y, width, height))
        return self.canvas[y : y + height, x : x + width].copy()

    def pointer(self) -> Pointer | None:
        return self.pointer_at

    def cursor_image(self, shape: int) -> CursorImage | None:
        return CursorImage(2, 2, 0, 1, bytes(range(16)))

    def fileno(self) -> int | None:
        return None

    def poll_changed(self) -> bool:
        return True

    def layout_changed(self) -> bool:
        changed, self.relayout = self.relayout, False
        return changed

    def close(self) -> None:
        self.closed = True
