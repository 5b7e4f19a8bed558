"""The Tk window: status, technician, the comparison code in large digits, chat,
and an End session button that works at any moment.

Tk runs on the main thread; the session core runs on an asyncio loop in a
second thread. Updates cross over through a queue that the window drains
every 50 ms; the customer's actions cross back with
``run_coroutine_threadsafe``. The window is usable by keyboard alone: Tab
moves between the message box, Send and End session; Enter sends.

A technician's request opens a small window of its own (Allow / Deny, Escape
denies) that the session can take away again when the request times out.
While the screen is shared a coloured banner at the top says so, with
*Stop control* and *Stop sharing* buttons that act at once.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import tkinter as tk
from concurrent.futures import Future
from tkinter import messagebox, ttk
from typing import Any

from ._core import AppletCore, Outcome
from ._terminal import Printer
from ._updates import (
    ChatDelivered,
    ChatShown,
    CodeShown,
    ConsentClosed,
    ConsentRequested,
    Ended,
    Notice,
    ScreenShared,
    Status,
    StatusChanged,
    TechnicianShown,
    Update,
)

__all__ = ["TkFrontEnd"]

_POLL_MS = 50
_BASE_FONT = ("TkDefaultFont", 12)
_CODE_FONT = ("TkFixedFont", 30, "bold")


class TkFrontEnd:
    """The customer's window; also prints every update (``Printer``) to stdout."""

    def __init__(self, root: tk.Tk, printer: Printer | None = None) -> None:
        self.root = root
        self._printer = printer
        self._updates: queue.Queue[Update] = queue.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._core: AppletCore | None = None
        self._outcome: Outcome | None = None
        self._ended = False
        self._prompts: dict[str, tk.Toplevel] = {}
        self._build()

    # -- layout ----------------------------------------------------------------

    def _build(self) -> None:
        root = self.root
        root.title("Lifebuoy support")
        root.geometry("560x620")
        root.minsize(420, 480)
        root.option_add("*Font", _BASE_FONT)
        root.protocol("WM_DELETE_WINDOW", self._on_close)

        self._build_banner()
        top = ttk.Frame(root, padding=12)
        top.pack(fill="x")
        self.status = ttk.Label(
            top, text=Status.CONNECTING.value, font=("", 15, "bold")
        )
        self.status.pack(anchor="w")
        self.detail = ttk.Label(top, text="", wraplength=520)
        self.detail.pack(anchor="w")
        self.technician = ttk.Label(top, text="No technician connected yet")
        self.technician.pack(anchor="w", pady=(6, 0))

        codes = ttk.Frame(root, padding=(12, 0))
        codes.pack(fill="x")
        ttk.Label(codes, text="Comparison code").pack(anchor="w")
        self.code = ttk.Label(codes, text="--- ---", font=_CODE_FONT)
        self.code.pack(anchor="w")
        ttk.Label(
            codes,
            text="Your technician sees the same code. If it differs, end the session.",
            wraplength=520,
        ).pack(anchor="w")

        # Packed before the chat, so that when the banner takes room the chat
        # gets smaller, not the message box or End session.
        bottom = ttk.Frame(root, padding=12)
        bottom.pack(fill="x", side="bottom")
        self.end_button = ttk.Button(
            bottom, text="End session", command=self._on_end, underline=0
        )
        self.end_button.pack(side="right")
        root.bind("<Alt-e>", lambda _event: self._on_end())
        self._build_chat()

    def _build_banner(self) -> None:
        """The sharing banner: built now, packed only while the screen is shared."""
        self.banner = tk.Frame(self.root, background="#b3261e", padx=12, pady=8)
        self.banner_text = tk.Label(
            self.banner,
            text="",
            background="#b3261e",
            foreground="white",
            font=("", 13, "bold"),
            wraplength=520,
            justify="left",
        )
        self.banner_text.pack(anchor="w")
        buttons = tk.Frame(self.banner, background="#b3261e")
        buttons.pack(anchor="w", pady=(6, 0))
        self.stop_control = ttk.Button(
            buttons, text="Stop control", command=lambda: self._on_stop("control")
        )
        self.stop_sharing = ttk.Button(
            buttons, text="Stop sharing", command=lambda: self._on_stop("view")
        )
        self.stop_sharing.pack(side="left")

    def _build_chat(self) -> None:
        entry_row = ttk.Frame(self.root, padding=(12, 6, 12, 0))
        entry_row.pack(fill="x", side="bottom")
        chat = ttk.Frame(self.root, padding=(12, 8, 12, 0))
        chat.pack(fill="both", expand=True)
        self.chat = tk.Text(chat, wrap="word", height=12, state="disabled", takefocus=0)
        scroll = ttk.Scrollbar(chat, command=self.chat.yview)
        self.chat.configure(yscrollcommand=scroll.set)
        scroll.pack(side="right", fill="y")
        self.chat.pack(fill="both", expand=True)
        self.chat.tag_configure("technician", foreground="#0b3d91")
        self.chat.tag_configure("customer", foreground="#1b5e20")
        self.chat.tag_configure("note", foreground="#555555")
        self.chat.tag_configure("delivered", foreground="#777777")

        self.entry = ttk.Entry(entry_row)
        self.entry.pack(side="left", fill="x", expand=True)
        self.entry.bind("<Return>", lambda _event: self._on_send())
        self.send_button = ttk.Button(entry_row, text="Send", command=self._on_send)
        self.send_button.pack(side="left", padx=(6, 0))
        self.entry.focus_set()

    # -- running -----------------------------------------------------------------

    def notify(self, update: Update) -> None:
        """Called on the loop's thread: hand the update to Tk."""
        self._updates.put(update)

    def run(self, core: AppletCore) -> Outcome:
        """Run the session on a loop thread and the window here, until closed."""
        self._core = core
        ready = threading.Event()

        def loop_thread() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            ready.set()
            try:
                self._outcome = loop.run_until_complete(core.run())
            finally:
                loop.close()

        thread = threading.Thread(target=loop_thread, name="session", daemon=True)
        thread.start()
        ready.wait()
        self.root.after(_POLL_MS, self._poll)
        self.root.mainloop()
        if thread.is_alive():  # window closed while the session runs: end it
            self._call(core.end())
            thread.join(timeout=15)
        assert self._outcome is not None or not thread.is_alive()
        return self._outcome or Outcome("The window was closed.", True, False)

    def _call(self, coroutine: Any) -> Future[Any] | None:
        if self._loop is None or self._loop.is_closed():
            coroutine.close()
            return None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def _poll(self) -> None:
        while True:
            try:
                update = self._updates.get_nowait()
            except queue.Empty:
                break
            if self._printer is not None:
                self._printer(update)
            self._show(update)
        self.root.after(_POLL_MS, self._poll)

    # -- updates -----------------------------------------------------------------

    def _show(self, update: Update) -> None:
        if isinstance(update, StatusChanged):
            self.status.configure(text=update.status.value)
            self.detail.configure(text=update.detail)
        elif isinstance(update, TechnicianShown):
            self.technician.configure(
                text=f"Technician: {update.name}"
                if update.name
                else "No technician connected"
            )
        elif isinstance(update, CodeShown):
            self.code.configure(text=update.code or "--- ---")
        elif isinstance(update, ChatShown):
            self._chat_line(update)
        elif isinstance(update, ChatDelivered):
            self._write_at(f"line-{update.id}", "  \u2713 delivered", "delivered")
        elif isinstance(update, ConsentRequested):
            self._consent(update)
        elif isinstance(update, ConsentClosed):
            prompt = self._prompts.pop(update.request_id, None)
            if prompt is not None:
                prompt.destroy()
        elif isinstance(update, ScreenShared):
            self._sharing(update)
        elif isinstance(update, Notice):
            self._write(f"{update.text}\n", "note")
        elif isinstance(update, Ended):
            self._session_over(update)

    def _chat_line(self, update: ChatShown) -> None:
        who = "Technician" if update.sender == "technician" else "You"
        self._write(f"{who}: {update.text}", update.sender)
        if update.sender == "customer":
            self.chat.mark_set(f"line-{update.id}", "end-1c")
            self.chat.mark_gravity(f"line-{update.id}", "left")
        self._write("\n", update.sender)

    def _write(self, text: str, tag: str) -> None:
        self.chat.configure(state="normal")
        self.chat.insert("end", text, (tag,))
        self.chat.configure(state="disabled")
        self.chat.see("end")

    def _write_at(self, mark: str, text: str, tag: str) -> None:
        if mark not in self.chat.mark_names():
            return
        self.chat.configure(state="normal")
        self.chat.insert(mark, text, (tag,))
        self.chat.configure(state="disabled")

    def _consent(self, update: ConsentRequested) -> None:
        """A prompt window: Allow or Deny; closing it or Escape denies."""
        prompt = tk.Toplevel(self.root, padx=16, pady=12)
        prompt.title("Your technician asks")
        prompt.transient(self.root)
        prompt.resizable(False, False)
        self._prompts[update.request_id] = prompt
        ttk.Label(
            prompt, text=update.detail, wraplength=380, font=("", 13, "bold")
        ).pack(anchor="w")
        ttk.Label(
            prompt,
            text="You can stop it at any moment. No answer in a minute means no.",
            wraplength=380,
        ).pack(anchor="w", pady=(6, 10))
        row = ttk.Frame(prompt)
        row.pack(anchor="e")

        def reply(allowed: bool) -> None:
            if self._prompts.pop(update.request_id, None) is not None:
                prompt.destroy()
            core = self._core
            if core is not None and self._loop is not None:
                self._loop.call_soon_threadsafe(core.answer, update.request_id, allowed)

        deny = ttk.Button(row, text="Deny", command=lambda: reply(False))
        allow = ttk.Button(row, text="Allow", command=lambda: reply(True))
        deny.pack(side="right")
        allow.pack(side="right", padx=(0, 6))
        prompt.bind("<Escape>", lambda _event: reply(False))
        prompt.protocol("WM_DELETE_WINDOW", lambda: reply(False))
        deny.focus_set()

    def _sharing(self, update: ScreenShared) -> None:
        if not update.viewing:
            self.banner.pack_forget()
            return
        doing = "controlling" if update.controlling else "viewing"
        self.banner_text.configure(text=f"{update.technician} is {doing} your screen.")
        if update.controlling:
            self.stop_control.pack(side="left", padx=(0, 6), before=self.stop_sharing)
        else:
            self.stop_control.pack_forget()
        if not self.banner.winfo_ismapped():
            self.banner.pack(fill="x", side="top", before=self.root.pack_slaves()[0])

    def _session_over(self, update: Ended) -> None:
        self._ended = True
        self.banner.pack_forget()
        for prompt in self._prompts.values():
            prompt.destroy()
        self._prompts.clear()
        self._write(f"Session ended: {update.reason}\n", "note")
        self.entry.configure(state="disabled")
        self.send_button.configure(state="disabled")
        self.end_button.configure(
            text="Close", command=self.root.destroy, state="normal"
        )

    # -- the customer's actions -------------------------------------------------

    def _on_send(self) -> None:
        text = self.entry.get()
        core = self._core
        if text.strip() and core is not None and not self._ended:
            self.entry.delete(0, "end")
            self._call(core.send_chat(text))

    def _on_stop(self, what: str) -> None:
        core = self._core
        if core is not None:
            self._call(core.stop_screen(what))

    def _on_end(self) -> None:
        core = self._core
        if self._ended:
            self.root.destroy()
        elif core is not None:
            self.end_button.configure(state="disabled")
            self._call(core.end())

    def _on_close(self) -> None:
        if self._ended or messagebox.askyesno(
            "End the session?",
            "Closing this window ends the support session.",
            parent=self.root,
        ):
            self.root.destroy()
