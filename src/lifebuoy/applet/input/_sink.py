"""The platform interface: what the applet asks of any way to inject input."""

from __future__ import annotations

from typing import Protocol


class InputSink(Protocol):
    """Mouse and keyboard input on the customer's screen.

    Every call is validated first (``ValueError`` with words), then sent and
    flushed, so the events are delivered before the call returns. Keys are DOM
    ``KeyboardEvent.key`` values; the sink presses whatever modifiers the
    customer's keyboard map needs for them.
    """

    def move(self, x: int, y: int) -> None:
        """Put the pointer at screen pixel (x, y), clamped to the screen."""

    def button(self, button: int, down: bool) -> None:
        """Press or release button 1 (left), 2 (middle) or 3 (right)."""

    def wheel(self, dx: int, dy: int) -> None:
        """Turn the wheel: ``dy`` > 0 down, ``dx`` > 0 right, in notches."""

    def key(self, key: str, down: bool) -> None:
        """Press or release a key; ``UnknownKey`` when it has no symbol."""

    def text(self, text: str) -> None:
        """Type ``text``: each character pressed and released."""

    def sequence(self, name: str) -> None:
        """Type a special sequence from ``SEQUENCES``; ``UnknownSequence``."""

    def release_all(self) -> None:
        """Release every key and button this sink holds down."""

    def close(self) -> None:
        """``release_all``, undo any change to the keyboard map, let go."""
