"""The workload's applications: a Tk document viewer and a Tk text editor.

Each runs as its own process (``python -m workload._app viewer|editor``, with
``bench/`` on ``PYTHONPATH``) so the X server sees ordinary clients. When the
window is drawn the program prints ``ready <window id>`` on stdout, the id of
its top-level X window (Tk's wrapper), which the driver moves and focuses.
Commands arrive on stdin, one a line:

- ``scroll LINES PERIOD_MS``: show line ``1 + LINES * n`` at the top, where
  ``n`` counts the periods since the command (wrapping at the end of the
  document). Each tick is computed from the monotonic clock, so a late tick
  jumps to where the document should be instead of drifting.
- ``quit``.

Fixed look: DejaVu Sans Mono 11, no border, a caret that does not blink.
"""

from __future__ import annotations

import argparse
import sys
import time
import tkinter as tk

from ._prose import EDITOR_START, document

FONT = ("DejaVu Sans Mono", 11)


def main() -> None:
    parser = argparse.ArgumentParser(prog="workload._app")
    parser.add_argument("kind", choices=["viewer", "editor"])
    parser.add_argument("--geometry", required=True, help="WxH+X+Y")
    args = parser.parse_args()

    root = tk.Tk(className="LifebuoyWorkload")
    root.title(f"Lifebuoy workload {args.kind}")
    root.geometry(args.geometry)
    text = tk.Text(
        root,
        font=FONT,
        borderwidth=0,
        highlightthickness=0,
        padx=12,
        pady=8,
        wrap="none",
        insertofftime=0,
        insertwidth=2,
        background="#ffffff",
        foreground="#1e1e1e",
        selectbackground="#ffffff",
    )
    text.pack(fill="both", expand=True)
    if args.kind == "viewer":
        text.insert("1.0", document())
        text.configure(state="disabled")
    else:
        text.insert("1.0", EDITOR_START)
        text.mark_set("insert", "end")
        text.focus_set()

    root.tk.createfilehandler(sys.stdin, tk.READABLE, lambda *_: _command(text))
    root.after(300, lambda: _ready(root))
    root.mainloop()


def _ready(root: tk.Tk) -> None:
    root.update_idletasks()
    print("ready", root.wm_frame(), flush=True)


def _command(text: tk.Text) -> None:
    words = sys.stdin.readline().split()
    if not words or words[0] == "quit":
        text.winfo_toplevel().destroy()
    elif words[0] == "scroll":
        _autoscroll(text, int(words[1]), int(words[2]), time.monotonic())


def _autoscroll(text: tk.Text, lines: int, period_ms: int, start: float) -> None:
    total = int(text.index("end").split(".")[0]) - 1
    elapsed_ms = (time.monotonic() - start) * 1000
    n = int(elapsed_ms // period_ms)
    text.yview(f"{1 + (n * lines) % max(1, total - 80)}.0")

    wait = (n + 1) * period_ms - elapsed_ms
    text.after(max(1, round(wait)), _autoscroll, text, lines, period_ms, start)


if __name__ == "__main__":
    main()
