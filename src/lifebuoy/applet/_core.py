"""The applet's session logic, free of any user interface.

Theory of operation. ``run`` goes through *rounds*: each round makes a new
X25519 key, joins the session at the site (``SiteApi.join``), connects to a
gateway and waits for a technician (``lifebuoy.protocol.aio.connect``), then
serves the channel until it closes. A channel closed by the technician with the
reason ``transferred`` starts the next round (docs/sessions.md, step 6); so
does a gateway that stops holding a waiting customer (close code 4006). Any
other end of the channel ends the session.

``end`` works at any moment: while connected it sends ``end`` and closes the
channel with the reason ``customer ended``; before that it cancels the round.
Either way ``run`` then tells the site (``leave``) and returns.

Front ends (a Tk window, a terminal) and tests drive the same object: they
call ``run``, ``send_chat``, ``end``, ``answer`` and ``stop_screen``, and
receive ``Update`` objects through the ``notify`` callback, on the event
loop's thread. Screen requests and input go to a ``RemoteDesk`` per channel
(``_remote.py``), which checks the signed policy and the customer's consent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ..protocol import Channel, ErrorCode, ProtocolError, Role
from ..protocol.aio import (
    ChannelConnection,
    ChannelEnded,
    ChannelFailed,
    GatewayUnavailable,
    ReconnectPolicy,
    connect,
)
from . import _messages as messages
from ._audit import AuditLog
from ._errors import AppletError, MessageError, SiteError
from ._places import Machine
from ._remote import (
    InputFactory,
    RemoteDesk,
    StreamerFactory,
    default_input,
    default_streamer,
)
from ._session_file import SessionFile
from ._site import JoinAnswer, SiteApi
from ._text import shown
from ._updates import (
    ChatDelivered,
    ChatShown,
    CodeShown,
    ConsentClosed,
    ConsentRequested,
    Ended,
    Notice,
    Status,
    StatusChanged,
    TechnicianShown,
    Update,
)

__all__ = ["CUSTOMER_ENDED", "VIOLATION", "AppletCore", "Outcome"]

logger = logging.getLogger(__name__)

CUSTOMER_ENDED = "customer ended"
TRANSFERRED = "transferred"
VIOLATION = ErrorCode.APPLICATION + 1
"""Close code when the technician's end broke the message rules."""
HOLD_EXPIRED = 4006
"""Gateway close code: nobody came within its hold time (join again)."""
_IDENTITY = {
    ErrorCode.BAD_CERTIFICATE,
    ErrorCode.CERTIFICATE_EXPIRED,
    ErrorCode.CERTIFICATE_MISMATCH,
    ErrorCode.COMMITMENT_MISMATCH,
    ErrorCode.KEY_CONFIRMATION_FAILED,
    ErrorCode.BAD_PUBLIC_KEY,
}

Notify = Callable[[Update], None]
Connector = Callable[..., Awaitable[ChannelConnection]]
_SCREEN_MESSAGES = (
    messages.Policy,
    messages.Request,
    messages.ScreenStop,
    messages.ScreenSelect,
    messages.ScreenAck,
    messages.ScreenRefresh,
    messages.MouseMove,
    messages.MouseButton,
    messages.MouseWheel,
    messages.Key,
    messages.Text,
    messages.Sequence,
    messages.Release,
)


@dataclass(frozen=True)
class Outcome:
    """How the session ended for this applet."""

    reason: str
    """In words, for the customer."""
    error: bool
    """It ended because something failed."""
    file_used: bool
    """The site has answered about the session file (it is spent or refused)."""
    leave: bool = False
    """The site is to be told that the customer left."""


class _Tickets:
    """The ticket source for ``connect``: the join's ticket first, then fresh ones."""

    def __init__(self, first: str, site: SiteApi) -> None:
        self._first: str | None = first
        self._site = site

    async def __call__(self, gateway_url: str) -> str:
        if self._first is not None:
            ticket, self._first = self._first, None
            return ticket
        return await self._site.ticket()


class AppletCore:
    """One customer's support session, from the session file to the end."""

    def __init__(
        self,
        session: SessionFile,
        site: SiteApi,
        notify: Notify,
        *,
        audit: AuditLog | None = None,
        machine: Machine | None = None,
        ssl_context: ssl.SSLContext | None = None,
        connector: Connector = connect,
        reconnect: ReconnectPolicy | None = None,
        streamer_factory: StreamerFactory = default_streamer,
        input_factory: InputFactory = default_input,
    ) -> None:
        self.session = session
        self._site = site
        self._notify = notify
        self._audit = audit
        self._machine = machine or Machine.here()
        self._ssl = ssl_context
        self._connector = connector
        self._reconnect = reconnect
        self._streamer_factory = streamer_factory
        self._input_factory = input_factory

        self.status = Status.CONNECTING
        """The status last shown."""
        self._round_task: asyncio.Task[Outcome | None] | None = None
        self._connection: ChannelConnection | None = None
        self._ending = False
        self._joined = False
        self._peer_end: str | None = None
        self._own_lines: dict[str, int] = {}
        self._requests: dict[str, tuple[str, asyncio.Future[bool]]] = {}
        self._technician_name = "Your technician"
        self._desk: RemoteDesk | None = None

    # -- what front ends call ------------------------------------------------

    async def run(self) -> Outcome:
        """Run the session until it ends; never raises for a failure."""
        self._record("session.start", file_version=1)
        logger.info("session %s: starting", self.session.session_id)
        outcome = None
        while outcome is None:
            if self._ending:
                outcome = self._customer_ended()
                break
            task = asyncio.create_task(self._round())
            self._round_task = task
            try:
                outcome = await task
            except asyncio.CancelledError:
                if not (task.cancelled() and self._ending):
                    raise
            finally:
                self._round_task = None
        await self._finish(outcome)
        return outcome

    async def send_chat(self, text: str) -> bool:
        """Send a chat line to the technician; False (with a ``Notice``) if not now."""
        text = text.strip()
        if not text:
            return False
        if len(text) > messages.CHAT_CHARS:
            self._notify(
                Notice(f"A message can have at most {messages.CHAT_CHARS} characters.")
            )
            return False
        connection = self._connection
        if connection is None or connection.closed is not None or self._ending:
            self._notify(Notice("You can write once a technician is connected."))
            return False

        line_id = uuid.uuid4().hex
        number = len(self._own_lines) + 1
        self._own_lines[line_id] = number
        at = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            await connection.send(messages.encode("chat", id=line_id, text=text, at=at))
        except ProtocolError:
            self._notify(Notice("The message could not be sent: the session ended."))
            return False
        self._notify(ChatShown(line_id, "customer", shown(text), number))
        return True

    async def end(self) -> None:
        """End the session (the End session button); safe to call at any moment."""
        if self._ending:
            return
        self._ending = True
        logger.info(
            "session %s: the customer ends the session", self.session.session_id
        )
        connection = self._connection
        if connection is not None and connection.closed is None:
            with contextlib.suppress(ProtocolError):
                await connection.send(messages.encode("end", reason=CUSTOMER_ENDED))
            await connection.close(CUSTOMER_ENDED)
        elif self._round_task is not None:
            self._round_task.cancel()

    async def ask(
        self, kind: str, detail: str, timeout: float | None = None
    ) -> bool | None:
        """Ask the customer to allow something (the screen, files, ...): True or
        False as answered, None when ``timeout`` seconds pass without an answer
        (a refusal). Recorded in the audit log with the answer."""
        request_id = uuid.uuid4().hex
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._requests[request_id] = (kind, future)
        self._record("request", request_id=request_id, kind=kind, detail=detail)
        self._notify(ConsentRequested(request_id, kind, shown(detail)))
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            self._record("answer", request_id=request_id, kind=kind, timed_out=True)
            return None
        finally:
            self._requests.pop(request_id, None)
            self._notify(ConsentClosed(request_id))

    async def stop_screen(self, what: str) -> None:
        """The customer stops control (``control``) or all sharing (``view``)."""
        if self._desk is not None:
            await self._desk.customer_stop(what)

    def answer(self, request_id: str, allowed: bool) -> None:
        """The customer's answer to a ``ConsentRequested``."""
        kind, future = self._requests.get(request_id, ("", None))
        if future is None or future.done():
            return
        self._record("answer", request_id=request_id, kind=kind, allowed=allowed)
        future.set_result(allowed)

    # -- one round: join, wait, serve ----------------------------------------

    async def _round(self) -> Outcome | None:
        """One channel; None to start over (transfer, hold time over)."""
        try:
            connection = await self._connect()
        except SiteError as exc:
            return Outcome(
                str(exc), error=True, file_used=exc.permanent or self._joined
            )
        except GatewayUnavailable as exc:
            if exc.close_code == HOLD_EXPIRED:
                logger.info("session %s: joining again", self.session.session_id)
                return None
            return self._failed("No support gateway could be reached. Try again later.")
        except ChannelFailed as exc:
            return self._failed(self._failure_words(exc))
        except AppletError as exc:
            return self._failed(str(exc))

        self._connection = connection
        try:
            if self._ending:
                await connection.close(CUSTOMER_ENDED)
                return self._customer_ended()
            self._opened(connection)
            return await self._serve(connection)
        finally:
            self._connection = None
            self._notify(TechnicianShown(None))
            self._notify(CodeShown(None))

    async def _connect(self) -> ChannelConnection:
        self._set_status(Status.CONNECTING)
        key = X25519PrivateKey.generate()
        machine = self._machine
        answer = await self._site.join(
            key.public_key().public_bytes_raw(), machine.hostname, machine.os
        )
        self._joined = True
        self._record("join", participant=answer.participant)

        channel = self._channel(key, answer)
        self._set_status(Status.WAITING)
        return await self._connector(
            channel,
            list(answer.gateways),
            _Tickets(answer.ticket, self._site),
            ssl_context=self._ssl,
            reconnect=self._reconnect,
        )

    def _channel(self, key: X25519PrivateKey, answer: JoinAnswer) -> Channel:
        try:
            return Channel(
                role=Role.CUSTOMER,
                session_id=self.session.session_id,
                certificate=answer.certificate,
                private_key=key,
                site_keys=self.session.signing_keys,
                now=time.time(),
            )
        except ProtocolError as exc:
            logger.warning("the site's key certificate was refused: %s", exc)
            raise AppletError(
                "The support site sent a key certificate that does not fit this "
                "session. The session was stopped to protect you."
            ) from exc

    def _opened(self, connection: ChannelConnection) -> None:
        code = connection.comparison_code
        logger.info("session %s: connected", self.session.session_id)
        self._record(
            "channel.open",
            technician_participant=connection.peer_participant,
            comparison_code=code,
        )
        self._peer_end = None
        self._set_status(Status.CONNECTED)
        self._notify(CodeShown(code))

    async def _serve(self, connection: ChannelConnection) -> Outcome | None:
        machine = self._machine
        hello = messages.encode(
            "hello", hostname=machine.hostname, os=machine.os, user=machine.user
        )
        with contextlib.suppress(ChannelEnded):
            await connection.send(hello)

        desk = RemoteDesk(
            session_id=self.session.session_id,
            site_keys=self.session.signing_keys,
            peer_participant=connection.peer_participant,
            send=connection.send,
            ask=self.ask,
            record=self._record,
            notify=self._notify,
            technician=lambda: self._technician_name,
            streamer_factory=self._streamer_factory,
            input_factory=self._input_factory,
        )
        self._desk = desk
        try:
            return await self._receive(connection, desk)
        finally:
            self._desk = None
            await desk.close()

    async def _receive(
        self, connection: ChannelConnection, desk: RemoteDesk
    ) -> Outcome | None:
        while True:
            try:
                data = await connection.receive()
            except ChannelEnded as exc:
                return self._channel_ended(exc)
            try:
                message = messages.parse(data)
            except MessageError as exc:
                logger.warning("session %s: %s", self.session.session_id, exc)
                await connection.close("protocol violation", code=VIOLATION)
                return self._failed(
                    "The technician's side sent something this applet does not "
                    "accept. The session was stopped to protect you."
                )
            if isinstance(message, _SCREEN_MESSAGES):
                await desk.handle(message)
            else:
                await self._handle(message, connection)

    async def _handle(
        self, message: messages.Incoming, connection: ChannelConnection
    ) -> None:
        if isinstance(message, messages.Chat):
            self._notify(ChatShown(message.id, "technician", shown(message.text)))
            with contextlib.suppress(ChannelEnded):
                await connection.send(messages.encode("delivered", id=message.id))
        elif isinstance(message, messages.Delivered):
            number = self._own_lines.get(message.id)
            if number is not None:
                self._notify(ChatDelivered(message.id, number))
        elif isinstance(message, messages.TechnicianHello):
            name = shown(message.name, single_line=True).strip() or "A technician"
            self._technician_name = name
            self._record("technician", name=name)
            self._notify(TechnicianShown(name))
        elif isinstance(message, messages.Hold):
            self._record("hold", on=message.on)
            self._set_status(Status.ON_HOLD if message.on else Status.CONNECTED)
        elif isinstance(message, messages.Transfer):
            self._transferring(message)
        elif isinstance(message, messages.End):
            self._peer_end = shown(message.reason, single_line=True)
        else:
            logger.info("ignored a channel message of unknown type %r", message)

    def _transferring(self, message: messages.Transfer) -> None:
        to = shown(message.to, single_line=True).strip() or "another technician"
        self._record("transfer", to=to)
        detail = f"You are being transferred to {to}."
        if message.note:
            detail += f" Note: {shown(message.note, single_line=True)}"
        self._set_status(Status.TRANSFERRING, detail)

    # -- endings ---------------------------------------------------------------

    def _channel_ended(self, exc: ChannelEnded) -> Outcome | None:
        closed = exc.closed
        if self._ending:
            return self._customer_ended()
        if isinstance(exc, ChannelFailed):
            return self._failed(self._failure_words(exc))
        if closed.by_peer and closed.reason == TRANSFERRED:
            logger.info("session %s: transferred", self.session.session_id)
            if self.status is not Status.TRANSFERRING:
                self._set_status(Status.TRANSFERRING, "You are being transferred.")
            return None
        reason = self._peer_end or shown(closed.reason, single_line=True)
        words = "The technician ended the session."
        self._record("session.end", by="technician", reason=reason)
        return Outcome(words, error=False, file_used=True)

    def _customer_ended(self) -> Outcome:
        self._record("session.end", by="customer", reason=CUSTOMER_ENDED)
        return Outcome(
            "You ended the session.", error=False, file_used=self._joined, leave=True
        )

    def _failed(self, words: str) -> Outcome:
        self._record("session.end", by="error", reason=words)
        return Outcome(words, error=True, file_used=self._joined, leave=self._joined)

    def _failure_words(self, exc: ChannelFailed) -> str:
        error = exc.error
        if error is ErrorCode.TRUNCATED:
            return "The connection to the technician was lost."
        if error in _IDENTITY:
            return (
                "The technician's connection could not be verified. The session "
                "was stopped to protect you."
            )
        name = error.name.lower() if error is not None else str(exc.error_code)
        return f"The secure connection failed ({name})."

    async def _finish(self, outcome: Outcome) -> None:
        for _kind, future in list(self._requests.values()):
            if not future.done():
                future.set_result(False)
        if outcome.leave:
            reason = CUSTOMER_ENDED if not outcome.error else "applet error"
            try:
                await self._site.leave(reason)
            except SiteError as exc:
                logger.info("the site was not told that the customer left: %s", exc)
        logger.info(
            "session %s: ended (%s)",
            self.session.session_id,
            "error" if outcome.error else "normally",
        )
        self._set_status(Status.ENDED, outcome.reason)
        self._notify(Ended(outcome.reason, outcome.error))

    # -- helpers -----------------------------------------------------------------

    def _set_status(self, status: Status, detail: str = "") -> None:
        self.status = status
        self._notify(StatusChanged(status, detail))

    def _record(self, event: str, **fields: Any) -> None:
        if self._audit is not None:
            self._audit.record(event, **fields)
