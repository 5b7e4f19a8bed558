"""A known screen for the remote view and control tests (a small Tk program).

Run it on a 1920x1080 X screen (Xvfb)::

    .venv/bin/python tests/integration/applet/screen_app.py --state FILE

It shows one window at +0+0 filling the screen, white, with everything at
fixed pixel positions (screen coordinates, the window being at the origin):

- ``HEADING`` "Lifebuoy screen test" at (80, 40), large bold text;
- ``LINES`` of known text below it, from (80, 140), 50 px apart;
- ``BUTTON``, "Press me", 300x120 at (810, 480), centre (960, 540): blue;
  each click (press and release over it) turns it green and counts in
  ``pressed``;
- ``ENTRY``, a text field 600x60 at (660, 700), centre (960, 730), which has
  the keyboard focus from the start.

The state FILE is JSON rewritten atomically (a new file renamed over it)
after the window is shown and on every change::

    {"pressed": 0, "text": "", "keys": ["+Control_L", "-Control_L"]}

``keys`` lists the last ``MAX_KEYS`` key events anywhere in the window as
"+" (press) or "-" (release) and the X keysym name, so a test can see
sequences such as Ctrl+Alt+Delete. Import the constants rather than copying
the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import tkinter as tk
from pathlib import Path
from typing import NamedTuple


class Box(NamedTuple):
    x: int
    y: int
    width: int
    height: int

    @property
    def centre(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2


SCREEN = (1920, 1080)
HEADING = "Lifebuoy screen test"
HEADING_AT = (80, 40)
LINES = (
    "The quick brown fox jumps over the lazy dog.",
    "Pack my box with five dozen liquor jugs: 0123456789.",
    "Sphinx of black quartz, judge my vow!",
)
LINES_AT = (80, 140)
LINE_STEP = 50
BUTTON = Box(810, 480, 300, 120)
BUTTON_LABEL = "Press me"
BUTTON_COLOUR = "#1f5fbf"
PRESSED_COLOUR = "#2e9e44"
ENTRY = Box(660, 700, 600, 60)
MAX_KEYS = 50


class ScreenApp:
    """The window and its state file."""

    def __init__(self, root: tk.Tk, state: Path) -> None:
        self.root = root
        self.state = state
        self.pressed = 0
        self.keys: list[str] = []
        self.text = tk.StringVar(root)

        root.title(HEADING)
        root.geometry(f"{SCREEN[0]}x{SCREEN[1]}+0+0")
        root.configure(background="white")
        self._build()

        self.text.trace_add("write", lambda *_: self.save())
        # On the toplevel's tag, which every widget has: the "all" tag would
        # lose Alt+key to Tk's own menu binding there.
        root.bind("<KeyPress>", lambda e: self._note_key("+", e), add="+")
        root.bind("<KeyRelease>", lambda e: self._note_key("-", e), add="+")
        root.after(100, self._start)

    def _build(self) -> None:
        heading = tk.Label(
            self.root, text=HEADING, font=("DejaVu Sans", 40, "bold"), bg="white"
        )
        heading.place(x=HEADING_AT[0], y=HEADING_AT[1])
        for number, line in enumerate(LINES):
            label = tk.Label(self.root, text=line, font=("DejaVu Sans", 20), bg="white")
            label.place(x=LINES_AT[0], y=LINES_AT[1] + number * LINE_STEP)

        self.button = tk.Button(
            self.root,
            text=BUTTON_LABEL,
            font=("DejaVu Sans", 24, "bold"),
            bg=BUTTON_COLOUR,
            activebackground=BUTTON_COLOUR,
            fg="white",
            takefocus=False,
            command=self._press,
        )
        self.button.place(
            x=BUTTON.x, y=BUTTON.y, width=BUTTON.width, height=BUTTON.height
        )
        self.entry = tk.Entry(
            self.root, textvariable=self.text, font=("DejaVu Sans", 24)
        )
        self.entry.place(x=ENTRY.x, y=ENTRY.y, width=ENTRY.width, height=ENTRY.height)

    def _start(self) -> None:
        # Without a window manager nothing gives the window the focus.
        self.root.focus_force()
        self.entry.focus_set()
        self.save()

    def _press(self) -> None:
        self.pressed += 1
        self.button.configure(bg=PRESSED_COLOUR, activebackground=PRESSED_COLOUR)
        self.save()

    def _note_key(self, sign: str, event: tk.Event[tk.Misc]) -> None:
        self.keys = [*self.keys, sign + event.keysym][-MAX_KEYS:]
        self.save()

    def save(self) -> None:
        state = {"pressed": self.pressed, "text": self.text.get(), "keys": self.keys}
        partial = self.state.with_name(self.state.name + ".new")
        partial.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, self.state)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", type=Path, required=True, help="JSON state file")
    args = parser.parse_args()
    root = tk.Tk()
    ScreenApp(root, args.state)
    root.mainloop()


if __name__ == "__main__":
    main()
