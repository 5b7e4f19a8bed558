"""What the streamer needs from a screen, and the errors it raises.

``CaptureSource`` is the seam between the pipeline and the platform: the X11
implementation (``_x11.X11Source``) uses mss, DAMAGE and XFixes; the unit
tests use a fake that serves numpy frames. All its methods but ``fileno`` and
``poll_changed`` are called from the streamer's one worker thread;
those two are called on the event loop's thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ._tiles import Frame


class ScreenUnavailable(Exception):
    """The screen cannot be shown; the message is in words for the customer."""


@dataclass(frozen=True)
class Monitor:
    """One monitor, in absolute screen coordinates."""

    index: int
    """1..n, as in ``screen.monitors``."""
    x: int
    y: int
    width: int
    height: int
    primary: bool


@dataclass(frozen=True)
class Pointer:
    """Where the pointer is and what it looks like."""

    x: int
    """Absolute screen coordinates."""
    y: int
    shape: int
    """The source's id of the current shape (same image, same id)."""


@dataclass(frozen=True)
class CursorImage:
    """A pointer shape, RGBA."""

    width: int
    height: int
    hot_x: int
    hot_y: int
    rgba: bytes


class CaptureSource(Protocol):
    """A screen to capture."""

    poll_interval: float
    """Seconds between captures of a still screen when ``fileno`` is None."""

    def monitors(self) -> list[Monitor]:
        """The monitors, index 1..n."""
        ...

    def grab(self, x: int, y: int, width: int, height: int) -> Frame:
        """A BGRA picture of an absolute region (within the monitors' box)."""
        ...

    def pointer(self) -> Pointer | None:
        """The pointer now (None: unknown on this platform)."""
        ...

    def cursor_image(self, shape: int) -> CursorImage | None:
        """The image of a shape ``pointer`` named (None if gone)."""
        ...

    def fileno(self) -> int | None:
        """A descriptor readable when the screen changed (None: poll)."""
        ...

    def poll_changed(self) -> bool:
        """Non-blocking: did the screen change since the last call."""
        ...

    def layout_changed(self) -> bool:
        """Did monitors come, go or change size since the last call (with a
        change descriptor, ``poll_changed`` reads the news and reports it as
        a change); ``monitors`` then reads them anew."""
        ...

    def close(self) -> None: ...
