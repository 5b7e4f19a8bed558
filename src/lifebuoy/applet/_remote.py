"""Remote view and control on the customer's side: who may, and doing it.

Theory of operation (docs/screen.md, "Who may do what"). One ``RemoteDesk``
lives as long as one channel. It holds three facts and acts only when all
three agree:

* the **policy**: the site's signed list of what the technician's group may
  do, checked against the site keys from the session file and against the
  participant whose key certificate opened this channel. Without it the
  technician can only chat;
* the **consent**: what the customer allowed in a prompt (``AppletCore.ask``),
  no answer within ``ASK_TIMEOUT_S`` being a refusal;
* the **state**: whether the screen is shown and whether control is on. The
  customer can switch either off at any moment (``customer_stop``), and that
  also takes back the consent.

Everything the technician's console sends is only a wish: a ``request`` is
answered after the three checks, and input while control is off is refused,
recorded in the local audit log, and answered with ``refused`` (both rate
limited, so a console that floods cannot flood the log). Key strokes are
never recorded, only that control started and stopped and which special
sequences were sent.

The screen streamer and the input sink are made through factories, so tests
use fakes and the heavy imports (PyAV, numpy, Xlib) happen only when a
technician first asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..protocol import ProtocolError
from ..protocol.aio import ChannelEnded
from ..protocol.policy import PolicyError, SessionPolicy, verify_policy
from . import _messages as messages
from ._updates import Notice, ScreenShared, Update

__all__ = [
    "ASK_TIMEOUT_S",
    "InputFactory",
    "InputSinkLike",
    "RemoteDesk",
    "StreamerFactory",
    "StreamerLike",
]

logger = logging.getLogger(__name__)

ASK_TIMEOUT_S = 60.0
"""A prompt left unanswered this long is a refusal."""
REFUSAL_QUIET_S = 5.0
"""After a refusal is recorded, further ones are counted, not recorded, this long."""

Send = Callable[[bytes], Awaitable[None]]
Ask = Callable[[str, str, float], Awaitable["bool | None"]]
Record = Callable[..., None]


class StreamerLike(Protocol):
    """What the desk needs of ``lifebuoy.applet.screen.ScreenStreamer``."""

    async def run(self) -> None: ...
    async def stop(self) -> None: ...
    def ack(self, seq: int) -> None: ...
    def select(self, monitor: int) -> None: ...
    def nudge(self) -> None: ...
    def refresh(self) -> None: ...
    def to_screen(self, x: int, y: int) -> tuple[int, int]: ...


class InputSinkLike(Protocol):
    """What the desk needs of ``lifebuoy.applet.input.InputSink``."""

    def move(self, x: int, y: int) -> None: ...
    def button(self, button: int, down: bool) -> None: ...
    def wheel(self, dx: int, dy: int) -> None: ...
    def key(self, key: str, down: bool) -> None: ...
    def text(self, text: str) -> None: ...
    def sequence(self, name: str) -> None: ...
    def release_all(self) -> None: ...
    def close(self) -> None: ...


StreamerFactory = Callable[[Send], StreamerLike]
InputFactory = Callable[[], InputSinkLike]


def default_streamer(send: Send) -> StreamerLike:
    """The real screen streamer (imported on first use: PyAV and numpy are big)."""
    from .screen import ScreenStreamer

    return ScreenStreamer(send)


def default_input() -> InputSinkLike:
    """The platform's input sink (XTest on X11)."""
    from .input import open_input

    return open_input()


def _unavailable_errors() -> tuple[type[Exception], ...]:
    """The screen and input packages' "cannot here" errors, when importable."""
    errors: list[type[Exception]] = [OSError]
    with contextlib.suppress(ImportError):
        from .screen import ScreenUnavailable

        errors.append(ScreenUnavailable)
    with contextlib.suppress(ImportError):
        from .input import InputUnavailable

        errors.append(InputUnavailable)
    return tuple(errors)


class RemoteDesk:
    """Policy, consent and the running screen and input for one channel."""

    def __init__(
        self,
        *,
        session_id: str,
        site_keys: Mapping[str, Ed25519PublicKey],
        peer_participant: str,
        send: Send,
        ask: Ask,
        record: Record,
        notify: Callable[[Update], None],
        technician: Callable[[], str],
        streamer_factory: StreamerFactory = default_streamer,
        input_factory: InputFactory = default_input,
        clock: Callable[[], float] = time.time,
        ask_timeout: float = ASK_TIMEOUT_S,
    ) -> None:
        self._session_id = session_id
        self._site_keys = site_keys
        self._peer = peer_participant
        self._send_bytes = send
        self._ask = ask
        self._record = record
        self._notify = notify
        self._technician = technician
        self._streamer_factory = streamer_factory
        self._input_factory = input_factory
        self._clock = clock
        self._ask_timeout = ask_timeout

        self.policy: SessionPolicy | None = None
        self.consent: set[str] = set()
        """What the customer allowed and has not taken back."""
        self.viewing = False
        self.controlling = False
        self._streamer: StreamerLike | None = None
        self._stream_task: asyncio.Task[None] | None = None
        self._sink: InputSinkLike | None = None
        self._asking = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._refusal_recorded_at = -REFUSAL_QUIET_S
        self._refusals_unrecorded = 0
        self._closed = False

    # -- messages from the technician --------------------------------------------

    async def handle(self, message: messages.Incoming) -> None:
        """Act on one screen message; never blocks on the customer."""
        if self._closed:
            return
        if isinstance(message, messages.Policy):
            await self._take_policy(message.token)
        elif isinstance(message, messages.Request):
            self._spawn(self._request(message))
        elif isinstance(message, messages.ScreenStop):
            await self._stop(message.what, by="technician")
        elif isinstance(message, messages.ScreenAck):
            if self._streamer is not None:
                self._streamer.ack(message.seq)
        elif isinstance(message, messages.ScreenSelect):
            self._select(message.monitor)
        elif isinstance(message, messages.ScreenRefresh):
            if self._streamer is not None:
                self._streamer.refresh()
        else:
            await self._input(message)

    async def _take_policy(self, token: str) -> None:
        try:
            policy = verify_policy(token, self._site_keys, self._clock())
        except PolicyError as exc:
            self._refuse_policy(f"not valid: {exc}")
            return
        if policy.session_id != self._session_id:
            self._refuse_policy("made for another session")
            return
        if policy.participant_id != self._peer:
            self._refuse_policy("made for another technician")
            return
        self.policy = policy
        allowed = sorted(policy.allow)
        self._record(
            "policy",
            allow=allowed,
            single_prompt=policy.single_prompt,
            key=policy.key_id,
        )
        logger.info("session policy: %s", ", ".join(allowed) or "chat only")
        if self.controlling and not policy.allows("control"):
            await self._stop("control", by="policy")
        if self.viewing and not policy.allows("view"):
            await self._stop("view", by="policy")

    def _refuse_policy(self, why: str) -> None:
        logger.warning("a session policy was refused: %s", why)
        self._record("policy.refused", reason=why)

    async def _request(self, request: messages.Request) -> None:
        what = request.what
        self._record("screen.request", request_id=request.id, what=what)
        if not self._policy_allows(what):
            await self._answer(request, False, "policy")
            return
        async with self._asking:
            if self._closed:
                return
            if what in self.consent:
                allowed, reason = True, "earlier answer"
            else:
                allowed, reason = await self._ask_customer(what)
            if allowed and not await self._start(what):
                allowed, reason = False, "unavailable"
            await self._answer(request, allowed, reason)

    async def _ask_customer(self, what: str) -> tuple[bool, str]:
        policy = self.policy
        assert policy is not None
        asked = {"view"} | ({what} if what == "control" else set())
        if policy.single_prompt:
            asked = {action for action in messages.ACTIONS if policy.allows(action)}
        name = self._technician()
        detail = f"{name} asks to {_in_words(asked)}."
        answer = await self._ask(f"screen.{what}", detail, self._ask_timeout)
        if answer is None:
            return False, "timeout"
        if answer:
            self.consent |= asked
        return answer, "customer"

    async def _answer(
        self, request: messages.Request, allowed: bool, reason: str
    ) -> None:
        self._record(
            "screen.answer",
            request_id=request.id,
            what=request.what,
            allowed=allowed,
            reason=reason,
        )
        await self._send(
            "answer", id=request.id, what=request.what, allowed=allowed, reason=reason
        )

    def _policy_allows(self, what: str) -> bool:
        policy = self.policy
        return (
            policy is not None
            and policy.allows(what)
            and self._clock() < policy.expires_at + 300
        )

    # -- starting and stopping ---------------------------------------------------

    async def _start(self, what: str) -> bool:
        """Turn viewing (and control) on; False if this machine cannot."""
        started = []
        try:
            if not self.viewing:
                streamer = self._streamer_factory(self._send_picture)
                self._streamer = streamer
                task = asyncio.create_task(streamer.run())
                task.add_done_callback(self._stream_ended)
                self._stream_task = task
                self.viewing = True
                started.append("view")
            if what == "control" and not self.controlling:
                if self._sink is None:
                    self._sink = self._input_factory()
                self.controlling = True
                self._refusals_unrecorded = 0
                started.append("control")
        except Exception as exc:
            if not isinstance(exc, _unavailable_errors()):
                logger.exception("starting %s failed", what)
            logger.warning("cannot %s here: %s", what, exc)
            self._notify(Notice(f"Your technician could not {_verb(what)}: {exc}"))
            self.controlling = False
            if "view" in started:
                self.viewing = False
                await self._stop_streamer()
            return False
        for action in started:
            self._record("screen.start", what=action)
        if started:
            await self._state_changed("customer")
        return True

    async def customer_stop(self, what: str) -> None:
        """The customer stops control (``control``) or all sharing (``view``)."""
        if what == "view":
            self.consent.clear()
        else:
            self.consent.discard("control")
        await self._stop(what, by="customer")

    async def _stop(self, what: str, *, by: str) -> None:
        stopped = []
        if self.controlling:
            self.controlling = False
            self._release()
            stopped.append("control")
        if what == "view" and self.viewing:
            self.viewing = False
            stopped.append("view")
            await self._stop_streamer()
        if by != "customer" and not (self.policy and self.policy.single_prompt):
            # A prompt's consent is for one stretch of viewing or control.
            for action in stopped:
                self.consent.discard(action)
        if not stopped:
            return
        for action in stopped:
            self._record("screen.stop", what=action, by=by)
        self._refusal_recorded_at = -REFUSAL_QUIET_S
        await self._state_changed(by)

    async def _stop_streamer(self) -> None:
        streamer, task = self._streamer, self._stream_task
        self._streamer = self._stream_task = None
        if streamer is not None:
            with contextlib.suppress(Exception):
                await streamer.stop()
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    def _stream_ended(self, task: asyncio.Task[None]) -> None:
        if task is not self._stream_task or self._closed:
            return
        error = None if task.cancelled() else task.exception()
        if error is not None:
            logger.warning("the screen stream stopped: %s", error)
            self._notify(Notice(f"Showing your screen stopped: {error}"))
        self._spawn(self._stop("view", by="error"))

    def _release(self) -> None:
        if self._sink is not None:
            try:
                self._sink.release_all()
            except Exception:  # the display may be gone; nothing is held then
                logger.exception("releasing keys and buttons failed")

    async def _state_changed(self, by: str) -> None:
        await self._send(
            "screen.state", view=self.viewing, control=self.controlling, by=by
        )
        self._notify(ScreenShared(self.viewing, self.controlling, self._technician()))

    def _select(self, monitor: int) -> None:
        if self._streamer is None:
            return
        try:
            self._streamer.select(monitor)
        except ValueError:
            self._spawn(self._send("refused", what="view", reason="no such monitor"))

    # -- input -----------------------------------------------------------------

    async def _input(self, message: messages.Incoming) -> None:
        sink, streamer = self._sink, self._streamer
        if not self.controlling or sink is None or streamer is None:
            await self._refused(message)
            return
        try:
            _inject(sink, streamer, message)
        except ValueError as exc:  # an unknown key or sequence: refuse that one
            await self._send("refused", what="control", reason=str(exc)[:200])
            return
        if isinstance(message, messages.Sequence):
            self._record("screen.sequence", name=message.name)
        streamer.nudge()

    async def _refused(self, message: messages.Incoming) -> None:
        if isinstance(message, messages.Release):
            return  # releasing nothing is harmless
        now = time.monotonic()
        if now - self._refusal_recorded_at < REFUSAL_QUIET_S:
            self._refusals_unrecorded += 1
            return
        reason = (
            "control is not allowed for this technician"
            if not self._policy_allows("control")
            else "control is off"
        )
        self._record(
            "screen.refused",
            what="control",
            message=_kind(message),
            reason=reason,
            earlier_unrecorded=self._refusals_unrecorded,
        )
        logger.info("input refused: %s", reason)
        self._refusal_recorded_at = now
        self._refusals_unrecorded = 0
        await self._send("refused", what="control", reason=reason)

    # -- the end ---------------------------------------------------------------

    async def close(self) -> None:
        """The channel is over: stop everything, release every key."""
        if self._closed:
            return
        was = (self.viewing, self.controlling)
        self._closed = True
        self.controlling = False
        self.viewing = False
        for task in list(self._tasks):
            task.cancel()
        if was[1]:
            self._record("screen.stop", what="control", by="end")
        if was[0]:
            self._record("screen.stop", what="view", by="end")
        await self._stop_streamer()
        if self._sink is not None:
            with contextlib.suppress(Exception):
                self._sink.close()
            self._sink = None
        if any(was):
            self._notify(ScreenShared(False, False, self._technician()))

    # -- helpers ---------------------------------------------------------------

    async def _send(self, kind: str, **fields: Any) -> None:
        await self._send_picture(messages.encode(kind, **fields))

    async def _send_picture(self, data: bytes) -> None:
        if self._closed:
            return
        with contextlib.suppress(ChannelEnded, ProtocolError):
            await self._send_bytes(data)

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _inject(
    sink: InputSinkLike, streamer: StreamerLike, message: messages.Incoming
) -> None:
    if isinstance(message, messages.MouseMove):
        sink.move(*streamer.to_screen(message.x, message.y))
    elif isinstance(message, messages.MouseButton):
        sink.move(*streamer.to_screen(message.x, message.y))
        sink.button(message.button, message.down)
    elif isinstance(message, messages.MouseWheel):
        sink.move(*streamer.to_screen(message.x, message.y))
        sink.wheel(message.dx, message.dy)
    elif isinstance(message, messages.Key):
        sink.key(message.key, message.down)
    elif isinstance(message, messages.Text):
        sink.text(message.text)
    elif isinstance(message, messages.Sequence):
        sink.sequence(message.name)
    elif isinstance(message, messages.Release):
        sink.release_all()


def _kind(message: messages.Incoming) -> str:
    return type(message).__name__.lower()


def _in_words(actions: set[str]) -> str:
    if "control" in actions:
        return "see your screen and control your mouse and keyboard"
    return "see your screen"


def _verb(what: str) -> str:
    return "take control" if what == "control" else "see your screen"
