"""A click target for ``bench/screen.py``: a Tk window whose colour flips on
every mouse press, so a click's effect on the screen is known and large.

    python bench/_click_target.py X Y WIDTH HEIGHT

Prints ``ready`` once shown.
"""

from __future__ import annotations

import sys
import tkinter as tk

COLOURS = ("#20407f", "#f0c020")


def main() -> None:
    x, y, width, height = (int(value) for value in sys.argv[1:5])
    root = tk.Tk(className="lifebuoy-click-target")
    root.overrideredirect(True)  # no window manager decorations to move it
    root.geometry(f"{width}x{height}+{x}+{y}")
    state = {"index": 0}
    root.configure(background=COLOURS[0])

    def flip(_event: object) -> None:
        state["index"] ^= 1
        root.configure(background=COLOURS[state["index"]])

    root.bind("<ButtonPress-1>", flip)
    root.after(300, lambda: print("ready", flush=True))
    root.mainloop()


if __name__ == "__main__":
    main()
