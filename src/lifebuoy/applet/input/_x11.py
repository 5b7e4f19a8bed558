"""Input on an X11 desktop through the XTEST extension (python-xlib).

XTEST makes the server act as if a device sent the event: the pointer moves,
buttons and keys go down and up, and every client sees ordinary events. The
sink has its own connection and keeps:

- a copy of the keyboard map (``Keymap``), read at the start and again when a
  ``MappingNotify`` says someone else changed it (a layout switch);
- the key codes and buttons it holds down, in the order they went down, so
  ``release_all`` and ``close`` leave nothing down;
- the spare key codes (``Spares``) it has mapped to symbols the customer's map
  lacks; ``close`` clears them again, and only those still holding what this
  sink put there.

Keys are typed as symbols, not as positions: ``A`` is Shift plus the key whose
row holds ``A`` on the customer's layout, whatever the technician's layout.
For a stroke the sink presses Shift or AltGr when the row needs them and this
sink does not hold them already, and lifts its own held Shift or AltGr for a
stroke that must not have them, putting them back after. Caps Lock (read from
the pointer query's modifier state) inverts Shift on letter keys.

Every call ends with a round trip (``sync``), so the events have reached the
server when the call returns and errors show up in the log at once. Events
the server sends back (only ``MappingNotify``: no others are selected) are
drained then.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from Xlib import X, error
from Xlib.display import Display

from ._errors import InputUnavailable
from ._keymap import Keymap, Spares, Stroke
from ._keys import (
    LEVEL3_SHIFT,
    SHIFT_L,
    SHIFT_R,
    check_button,
    check_int,
    check_notches,
    key_keysym,
    sequence_keysyms,
    text_keysyms,
)

log = logging.getLogger(__name__)

MAPPED_SETTLE_S = 0.03
"""Pause after lending a spare key code, before pressing it."""

_SHIFTS: tuple[tuple[int, ...], ...] = ((SHIFT_L,), (SHIFT_R,))
_LEVEL3: tuple[tuple[int, ...], ...] = ((LEVEL3_SHIFT,),)
_LOST = "The connection to the desktop was lost, so remote control stopped."


def open_x11(name: str | None) -> XTestSink:
    """Connect to display ``name`` (``$DISPLAY`` when ``None``)."""
    try:
        display = Display(name)
    except (error.DisplayError, error.ConnectionClosedError, OSError) as exc:
        raise InputUnavailable(
            "Remote control needs the graphical desktop, which could not be reached."
        ) from exc
    if not display.has_extension("XTEST"):
        display.close()
        raise InputUnavailable(
            "This desktop does not allow remote control: its X server lacks "
            "the XTEST extension."
        )
    if os.environ.get("XDG_SESSION_TYPE") == "wayland":
        # XWayland passes XTEST events to X11 programs only.
        log.warning("A Wayland desktop: remote control reaches X11 programs only")
    return XTestSink(display)


class XTestSink:
    """``InputSink`` for one X display connection, which it owns."""

    def __init__(
        self,
        display: Any,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._display = display
        self._root = display.screen().root
        self._clock = clock
        self._sleep = sleep
        self._held_keys: dict[int, None] = {}
        self._held_buttons: dict[int, None] = {}
        self._keymap = self._read_keymap()
        self._spares = Spares(self._keymap.empty_keycodes())
        self._stale = False
        self._closed = False
        display.set_error_handler(_log_x_error)
        log.info(
            "Input through XTEST on %s, %d spare key codes",
            display.get_display_name(),
            len(self._spares),
        )

    # The InputSink calls.

    def move(self, x: int, y: int) -> None:
        x, y = check_int(x, "x"), check_int(y, "y")
        with self._connection():
            size = self._root.get_geometry()
            x = min(max(x, 0), size.width - 1)
            y = min(max(y, 0), size.height - 1)
            self._display.xtest_fake_input(X.MotionNotify, x=x, y=y)
            self._flush()

    def button(self, button: int, down: bool) -> None:
        button = check_button(button)
        with self._connection():
            self._fake_button(button, _check_down(down))
            self._flush()

    def wheel(self, dx: int, dy: int) -> None:
        dx, dy = check_notches(dx, "dx"), check_notches(dy, "dy")
        with self._connection():
            # X buttons 4 and 5 are up and down, 6 and 7 left and right.
            for button, notches in ((5 if dy > 0 else 4, dy), (7 if dx > 0 else 6, dx)):
                for _ in range(abs(notches)):
                    self._fake_button(button, True)
                    self._fake_button(button, False)
            self._flush()

    def key(self, key: str, down: bool) -> None:
        keysym, down = key_keysym(key), _check_down(down)
        with self._connection():
            self._refresh_if_stale()
            if not down:
                self._release_keysym(keysym)
            elif (stroke := self._stroke(keysym)) is not None:
                self._strike(stroke, tap=False, locked=self._caps_locked())
            else:
                log.warning("No spare key code left: a key was not pressed")
            self._flush()

    def text(self, text: str) -> None:
        keysyms = text_keysyms(text)
        with self._connection():
            self._refresh_if_stale()
            locked = self._caps_locked()
            missed = 0
            for keysym in keysyms:
                stroke = self._stroke(keysym)
                if stroke is None:
                    missed += 1
                else:
                    self._strike(stroke, tap=True, locked=locked)
            self._flush()
        if missed:
            log.warning("No spare key code left: %d characters not typed", missed)

    def sequence(self, name: str) -> None:
        keysyms = sequence_keysyms(name)
        with self._connection():
            self._refresh_if_stale()
            strokes = [self._stroke(keysym) for keysym in keysyms]

            # Keys the technician already holds stay down after the sequence.
            pressed = []
            for stroke in strokes:
                if stroke is not None and stroke.keycode not in self._held_keys:
                    self._fake_key(stroke.keycode, True)
                    pressed.append(stroke.keycode)
            for keycode in reversed(pressed):
                self._fake_key(keycode, False)
            self._flush()
        if None in strokes:
            log.warning("No key code for every key of the sequence %s", name)

    def release_all(self) -> None:
        with self._connection():
            self._release_everything()
            self._flush()

    def close(self) -> None:
        if self._closed:
            return
        try:
            with self._connection():
                self._release_everything()
                self._flush()
                self._refresh_if_stale()
                self._restore_spares()
        finally:
            self._closed = True
            with contextlib.suppress(error.ConnectionClosedError, OSError):
                self._display.close()

    # Strokes.

    def _stroke(self, keysym: int) -> Stroke | None:
        keycode = self._spares.lookup(keysym, self._clock())
        if keycode is not None:
            return Stroke(keycode)
        stroke = self._keymap.find(keysym)
        if stroke is not None:
            return stroke
        keycode = self._lend(keysym)
        return None if keycode is None else Stroke(keycode)

    def _strike(self, stroke: Stroke, *, tap: bool, locked: bool) -> None:
        """Press the key of ``stroke`` with the right modifiers (and release it
        too for a ``tap``); the modifiers are as before afterwards."""
        want_shift = stroke.shift != (stroke.cased and locked)
        undo = [
            *self._set_modifier(_SHIFTS, want_shift, self._keymap.shift_keycode),
            *self._set_modifier(_LEVEL3, stroke.level3, self._keymap.level3_keycode),
        ]
        self._fake_key(stroke.keycode, True)
        if tap:
            self._fake_key(stroke.keycode, False)
        for keycode, down in reversed(undo):
            self._fake_key(keycode, down)

    def _set_modifier(
        self, rows: tuple[tuple[int, ...], ...], wanted: bool, keycode: int | None
    ) -> list[tuple[int, bool]]:
        """Put a modifier down (with ``keycode``) or lift it; returns the events
        that undo this."""
        held = [k for k in self._held_keys if self._keymap.row(k)[:1] in rows]
        if wanted and not held and keycode is not None:
            self._fake_key(keycode, True)
            return [(keycode, False)]
        if not wanted and held:
            for held_keycode in held:
                self._fake_key(held_keycode, False)
            return [(held_keycode, True) for held_keycode in held]
        return []

    def _release_keysym(self, keysym: int) -> None:
        stroke = self._keymap.find(keysym)
        keycode = self._spares.lookup(keysym, self._clock())
        for candidate in (keycode, stroke.keycode if stroke else None):
            if candidate in self._held_keys:
                self._fake_key(candidate, False)
                return

    def _release_everything(self) -> None:
        for keycode in reversed(list(self._held_keys)):
            self._fake_key(keycode, False)
        for button in reversed(list(self._held_buttons)):
            self._fake_button(button, False)

    def _caps_locked(self) -> bool:
        return bool(self._root.query_pointer().mask & X.LockMask)

    # Events.

    def _fake_key(self, keycode: int, down: bool) -> None:
        self._display.xtest_fake_input(X.KeyPress if down else X.KeyRelease, keycode)
        if down:
            self._held_keys[keycode] = None
        else:
            self._held_keys.pop(keycode, None)

    def _fake_button(self, button: int, down: bool) -> None:
        if not down and button not in self._held_buttons:
            return  # never release what this sink did not press
        kind = X.ButtonPress if down else X.ButtonRelease
        self._display.xtest_fake_input(kind, button)
        if down:
            self._held_buttons[button] = None
        else:
            self._held_buttons.pop(button, None)

    # The keyboard map and the spare key codes.

    def _lend(self, keysym: int) -> int | None:
        loan = self._spares.lend(keysym, self._clock(), busy=self._held_keys)
        if loan is None:
            return None
        keycode, wait = loan
        if wait:
            self._display.sync()
            self._sleep(wait)
        log.debug("Spare key code %d mapped for the moment", keycode)
        self._map(keycode, (keysym, keysym))
        # Programs learn of a new mapping from a notice they handle in their
        # own time; a key pressed at once can reach one that has not yet, and
        # it reads no symbol (seen under load with Tk). Give them a moment.
        self._display.sync()
        self._sleep(MAPPED_SETTLE_S)
        return keycode

    def _restore_spares(self) -> None:
        keycodes, wait = self._spares.take_back(self._clock())
        if not keycodes:
            return
        self._sleep(wait)
        for keycode in keycodes:
            self._map(keycode, (X.NoSymbol, X.NoSymbol))
        self._flush()
        log.info("Restored %d spare key codes", len(keycodes))

    def _map(self, keycode: int, row: tuple[int, int]) -> None:
        self._display.change_keyboard_mapping(keycode, [row])
        self._keymap.set_row(keycode, row)

    def _read_keymap(self) -> Keymap:
        first = self._display.display.info.min_keycode
        count = self._display.display.info.max_keycode - first + 1
        return Keymap(first, self._display.get_keyboard_mapping(first, count))

    def _refresh_if_stale(self) -> None:
        """Read the map again after someone else changed it, keeping only the
        spare key codes that are still empty or still hold our symbol.

        The server also announces a whole new map each time events come from
        another keyboard (the customer's, after ours): the master keyboard
        takes that device's map, so this runs often and costs one round trip.
        """
        if not self._stale:
            return
        self._stale = False
        self._keymap = self._read_keymap()
        lent = self._spares.lent()
        for keycode in self._spares.keycodes():
            row = self._keymap.row(keycode)
            if not any(row):
                if keycode in lent:
                    self._spares.give_back(keycode)
            elif row[0] != lent.get(keycode):
                self._spares.forget(keycode)
        log.debug("The keyboard map changed; %d spare key codes", len(self._spares))

    def _flush(self) -> None:
        self._display.sync()
        lent = self._spares.lent()
        while self._display.pending_events():
            event = self._display.next_event()
            if event.type != X.MappingNotify or event.request != X.MappingKeyboard:
                continue
            if event.count != 1 or event.first_keycode not in lent:
                self._stale = True

    @contextlib.contextmanager
    def _connection(self) -> Iterator[None]:
        """Translate a lost X connection, the one failure a caller can act on."""
        if self._closed:
            raise InputUnavailable("Remote control has ended on this desktop.")
        try:
            yield
        except (error.ConnectionClosedError, OSError) as exc:
            self._closed = True
            raise InputUnavailable(_LOST) from exc


def _check_down(down: object) -> bool:
    if not isinstance(down, bool):
        raise ValueError("down must be true or false")
    return down


def _log_x_error(err: Any, request: Any = None) -> None:
    log.warning("The X server refused an input request: %s", err)
