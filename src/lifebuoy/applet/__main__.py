"""``lifebuoy-applet FILE``: join the support session a session file describes.

Exit codes: 0 the session ended normally (by the customer or the technician);
1 it could not start or failed (site, gateway, channel); 2 the session file or
the command line cannot be used.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ._audit import AuditLog
from ._cleanup import Cleanup, looks_downloaded
from ._core import AppletCore, Outcome
from ._errors import SessionFileError
from ._places import state_dir
from ._remote import StreamerFactory, StreamerLike, default_streamer
from ._session_file import SessionFile, load_session_file
from ._site import AppletSite
from ._terminal import Printer, TerminalFrontEnd

if TYPE_CHECKING:
    import tkinter

__all__ = ["main"]

logger = logging.getLogger("lifebuoy.applet")

EXIT_ENDED, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2
SCREEN_CODECS = ("h264", "vp8", "vp9")
"""The same as ``lifebuoy.applet.screen.CODECS``, without importing PyAV."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lifebuoy-applet",
        description="Join a Lifebuoy support session: chat with your technician.",
    )
    parser.add_argument(
        "file", type=Path, nargs="?", help="the downloaded session file"
    )
    parser.add_argument(
        "--terminal",
        action="store_true",
        help="run in this terminal instead of a window (automatic without a display)",
    )
    removal = parser.add_mutually_exclusive_group()
    removal.add_argument(
        "--remove-file",
        action="store_true",
        help="remove the session file at the end (automatic for a downloaded file)",
    )
    removal.add_argument(
        "--keep-file", action="store_true", help="never remove the session file"
    )
    parser.add_argument(
        "--codec",
        choices=SCREEN_CODECS,
        default=None,
        help="video codec for showing the screen (default: h264; see docs/screen.md)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    parser.add_argument(
        "--version", action="version", version=f"lifebuoy-applet {__version__}"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.file is None:
        _say("Open a session file: lifebuoy-applet FILE", window=False)
        return EXIT_UNUSABLE
    window = not args.terminal and _has_display()

    try:
        session = load_session_file(args.file)
    except SessionFileError as exc:
        _say(str(exc), window=window)
        return EXIT_UNUSABLE

    removes = (args.remove_file or looks_downloaded(args.file)) and not args.keep_file
    cleanup = Cleanup(args.file, remove_file=removes)
    outcome = _run(session, window, args.codec)
    for path in cleanup.run(file_used=outcome.file_used):
        print(f"Removed {path}", flush=True)
    return EXIT_FAILED if outcome.error else EXIT_ENDED


def _run(session: SessionFile, window: bool, codec: str | None) -> Outcome:
    audit = AuditLog(state_dir(), session.session_id, session.site)
    ssl_context = session.ssl_context()
    site = AppletSite(session, ssl_context)
    streamer: StreamerFactory = default_streamer
    if codec is not None:
        streamer = functools.partial(_streamer, codec=codec)
    root = _open_window() if window else None
    if root is not None:
        from ._tk import TkFrontEnd

        # The same lines as the terminal's on stdout, when there is one.
        printer = Printer(sys.stdout, commands=False) if sys.stdout else None
        window_front = TkFrontEnd(root, printer)
        core = AppletCore(
            session,
            site,
            window_front.notify,
            audit=audit,
            ssl_context=ssl_context,
            streamer_factory=streamer,
        )
        return window_front.run(core)

    front = TerminalFrontEnd()
    core = AppletCore(
        session,
        site,
        front.notify,
        audit=audit,
        ssl_context=ssl_context,
        streamer_factory=streamer,
    )
    return asyncio.run(front.run(core, session.site))


def _streamer(send: Callable[[bytes], Awaitable[None]], codec: str) -> StreamerLike:
    from .screen import ScreenStreamer

    return ScreenStreamer(send, codec=codec)


def _open_window() -> tkinter.Tk | None:
    """A Tk root window, or None (no Tk, or no display it can use)."""
    try:
        import tkinter

        return tkinter.Tk(className="lifebuoy")
    except Exception as exc:  # ImportError, or tkinter.TclError: no display
        logger.warning("no window can be opened here (%s): using the terminal", exc)
        return None


def _has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _say(message: str, *, window: bool) -> None:
    """A message for the customer, on stderr and, with a display, in a dialog."""
    print(f"Lifebuoy: {message}", file=sys.stderr, flush=True)
    if not window:
        return
    try:
        import tkinter
        from tkinter import messagebox

        root = tkinter.Tk()
        root.withdraw()
        messagebox.showerror("Lifebuoy", message, parent=root)
        root.destroy()
    except Exception:  # no usable display after all: stderr said it
        logger.debug("no dialog shown", exc_info=True)


if __name__ == "__main__":
    sys.exit(main())
