"""Input and window moves on the workload's display, through XTest as a user
would do them (keys, wheel) and plain X requests (window position)."""

from __future__ import annotations

from Xlib import XK, X
from Xlib import display as xdisplay
from Xlib.ext import xtest

__all__ = ["Driver"]

_RETURN = XK.string_to_keysym("Return")
_SHIFT = XK.string_to_keysym("Shift_L")
_WHEEL_DOWN = 5


class Driver:
    """One X connection that types, scrolls and moves windows."""

    def __init__(self, name: str) -> None:
        self._display = xdisplay.Display(name)
        self._shift = self._display.keysym_to_keycode(_SHIFT)

    def close(self) -> None:
        self._display.close()

    def top_level(self, window: int) -> int:
        """The child of the root window that holds ``window`` (Tk's wrapper)."""
        root = self._display.screen().root
        current = self._display.create_resource_object("window", window)
        while (parent := current.query_tree().parent) != root:
            current = parent
        return int(current.id)

    def focus(self, window: int) -> None:
        """Give the keyboard to ``window`` (there is no window manager to do it)."""
        target = self._display.create_resource_object("window", window)
        target.set_input_focus(X.RevertToPointerRoot, X.CurrentTime)
        self._display.sync()

    def point(self, x: int, y: int) -> None:
        xtest.fake_input(self._display, X.MotionNotify, x=x, y=y)
        self._display.sync()

    def type_character(self, character: str) -> None:
        """Press and release the key for one character (Shift when needed)."""
        keysym = _RETURN if character == "\n" else ord(character)
        keycode = self._display.keysym_to_keycode(keysym)
        if not keycode:
            raise ValueError(f"no key for {character!r} in the keyboard map")
        shifted = self._display.keycode_to_keysym(keycode, 0) != keysym
        if shifted:
            xtest.fake_input(self._display, X.KeyPress, self._shift)
        xtest.fake_input(self._display, X.KeyPress, keycode)
        xtest.fake_input(self._display, X.KeyRelease, keycode)
        if shifted:
            xtest.fake_input(self._display, X.KeyRelease, self._shift)
        self._display.sync()

    def wheel_down(self) -> None:
        """One wheel notch down at the pointer."""
        xtest.fake_input(self._display, X.ButtonPress, _WHEEL_DOWN)
        xtest.fake_input(self._display, X.ButtonRelease, _WHEEL_DOWN)
        self._display.sync()

    def move_window(self, window: int, x: int, y: int) -> None:
        target = self._display.create_resource_object("window", window)
        target.configure(x=x, y=y)
        self._display.sync()
