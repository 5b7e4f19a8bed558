"""The terminal front end: status lines out, chat lines in, ``/end`` to end.

Every update becomes one plain line (``Comparison code: 123 456``,
``Technician: Taylor Tech``, ``Technician says: ...``) so that people and tests
can read it. The Tk window prints the same lines through ``Printer``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
from typing import TextIO

from ._core import AppletCore, Outcome
from ._updates import (
    ChatDelivered,
    ChatShown,
    CodeShown,
    ConsentClosed,
    ConsentRequested,
    Ended,
    Notice,
    ScreenShared,
    StatusChanged,
    TechnicianShown,
    Update,
)

__all__ = ["HELP", "Printer", "TerminalFrontEnd"]

HELP = (
    "Type a message and press Enter to send it to your technician. "
    "Commands: /end ends the session, /allow N or /deny N answers request N, "
    "/stopcontrol takes control back, /stopview stops showing your screen."
)


class Printer:
    """Turns updates into lines on a text stream."""

    def __init__(self, out: TextIO, *, commands: bool = True) -> None:
        self._out = out
        self._commands = commands
        self._asked = 0
        self.requests: dict[int, str] = {}
        """Open requests by the number shown, for ``/allow N``."""

    def __call__(self, update: Update) -> None:
        for line in self.lines(update):
            self._out.write(line + "\n")
        self._out.flush()

    def lines(self, update: Update) -> list[str]:
        if isinstance(update, StatusChanged):
            shown = [f"Status: {update.status.value}"]
            return shown + ([update.detail] if update.detail else [])
        if isinstance(update, TechnicianShown):
            return [f"Technician: {update.name}"] if update.name else []
        if isinstance(update, CodeShown):
            if update.code is None:
                return []
            return [
                f"Comparison code: {update.code}",
                "Your technician sees the same code. If it differs, end the session.",
            ]
        if isinstance(update, ChatShown):
            text = update.text.replace("\n", "\n    ")
            if update.sender == "technician":
                return [f"Technician says: {text}"]
            return [f"You ({update.number}): {text}"]
        if isinstance(update, ChatDelivered):
            return [f"Delivered ({update.number})"]
        if isinstance(update, ConsentRequested):
            self._asked += 1
            number = self._asked
            self.requests[number] = update.request_id
            asked = [f"Technician asks ({number}): {update.detail}"]
            if self._commands:
                asked.append(f"Type /allow {number} or /deny {number}.")
            return asked
        if isinstance(update, ConsentClosed):
            for number, request_id in list(self.requests.items()):
                if request_id == update.request_id:
                    del self.requests[number]
            return []
        if isinstance(update, ScreenShared):
            return _sharing_lines(update, self._commands)
        if isinstance(update, Notice):
            return [f"Note: {update.text}"]
        assert isinstance(update, Ended)
        return [f"Session ended: {update.reason}"]


def _sharing_lines(update: ScreenShared, commands: bool) -> list[str]:
    if not update.viewing:
        return ["Screen sharing: off. Your technician no longer sees your screen."]
    if update.controlling:
        lines = [
            f"Screen sharing: {update.technician} is CONTROLLING your screen "
            "(mouse and keyboard)."
        ]
        hint = "Type /stopcontrol to take control back, /stopview to stop sharing."
    else:
        lines = [f"Screen sharing: {update.technician} is VIEWING your screen."]
        hint = "Type /stopview to stop sharing."
    return lines + ([hint] if commands else [])


class TerminalFrontEnd:
    """Runs a session in the terminal: lines typed are chat, ``/end`` ends it."""

    def __init__(self, out: TextIO | None = None, stdin: TextIO | None = None) -> None:
        self.printer = Printer(out or sys.stdout)
        self._stdin = stdin or sys.stdin

    def notify(self, update: Update) -> None:
        self.printer(update)

    async def run(self, core: AppletCore, site: str) -> Outcome:
        print(f"Lifebuoy support session with {site}", flush=True)
        print(HELP, flush=True)

        loop = asyncio.get_running_loop()
        typed: asyncio.Queue[str] = asyncio.Queue()
        threading.Thread(target=self._read, args=(loop, typed), daemon=True).start()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, lambda: loop.create_task(core.end()))

        session = asyncio.create_task(core.run())
        while not session.done():
            line = asyncio.create_task(typed.get())
            await asyncio.wait({session, line}, return_when=asyncio.FIRST_COMPLETED)
            if line.done():
                await self._command(core, line.result())
            else:
                line.cancel()
        return session.result()

    def _read(self, loop: asyncio.AbstractEventLoop, typed: asyncio.Queue[str]) -> None:
        """A thread: lines from stdin into the queue (at its end: nothing more)."""
        with contextlib.suppress(OSError, ValueError, RuntimeError):
            for line in self._stdin:
                loop.call_soon_threadsafe(typed.put_nowait, line.rstrip("\r\n"))

    async def _command(self, core: AppletCore, line: str) -> None:
        words = line.strip().split()
        if not words:
            return
        if words[0] == "/end":
            await core.end()
        elif words[0] in ("/allow", "/deny") and len(words) == 2:
            request = (
                self.printer.requests.get(int(words[1])) if words[1].isdigit() else None
            )
            if request is None:
                print("Note: there is no such request.", flush=True)
            else:
                core.answer(request, words[0] == "/allow")
        elif words[0] in ("/stopcontrol", "/stopview"):
            await core.stop_screen("control" if words[0] == "/stopcontrol" else "view")
        elif words[0] == "/help":
            print(HELP, flush=True)
        else:
            await core.send_chat(line)
