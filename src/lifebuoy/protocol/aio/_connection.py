"""The channel over gateway WebSockets: one object that outlives its transports.

Theory of operation. A supervisor task joins the session on a gateway
(``_join``), then serves that WebSocket (``_serve``) until it closes: a reader
hands frames to the sans-I/O ``Channel`` and notices to ``_on_notice``; a
writer task sends whatever the channel has queued, so the reader never waits
on a write (two ends both blocked writing would never read again).

When this end's WebSocket drops, the channel is told ``transport_lost()``, the
supervisor joins again with a fresh ticket and calls ``resume()``. When only the
peer's WebSocket drops, the gateway says ``peer-left`` then ``peer-returned``:
the channel is told the same two things, because frames sent in between were
dropped by the gateway (docs/gateway.md, "Relaying").

After each ``resume()`` every frame is discarded until the peer's RESUME comes:
frames written before the peer's transport changed can still be in the
gateway's buffers and reach the new transport first. The peer resends them all
after its RESUME; accepting them early would count them twice (``replayed``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
import time
from collections import deque
from collections.abc import MutableMapping, Sequence
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from .. import (
    Channel,
    ChannelClosed,
    ChannelError,
    ErrorCode,
    Event,
    Frame,
    HandshakeComplete,
    MessageReceived,
    Resumed,
    Role,
    SendBufferFull,
    SendCapacityAvailable,
    UsageError,
)
from ._allocator import keep_heap_mapped
from ._errors import ChannelEnded, ChannelFailed, GatewayUnavailable
from ._gateway import (
    SESSION_ENDED,
    ReconnectPolicy,
    TicketSource,
    TransportOptions,
    join,
    parse_notice,
    refusal,
    wait_for_peer,
)

logger = logging.getLogger(__name__)

_RESUME = 33
"""Type byte of a RESUME frame (docs/protocol.md, section 2)."""
_YIELD_BYTES = 256 << 10
"""``send`` lets other tasks run after this many bytes without waiting."""


async def connect(
    channel: Channel,
    gateways: Sequence[str],
    ticket_source: TicketSource,
    *,
    ssl_context: ssl.SSLContext | None = None,
    reconnect: ReconnectPolicy | None = None,
    transport: TransportOptions | None = None,
    handshake_timeout: float = 30.0,
    ack_delay: float = 0.05,
    receive_buffer: int = 8 << 20,
) -> ChannelConnection:
    """Join the session through ``gateways`` (first that admits this end), wait
    for the peer, run the handshake, and return the open connection.

    ``channel`` is fresh (not initiated); its role picks the endpoint. Raises
    ``GatewayUnavailable`` if no gateway admits this end, ``ChannelFailed`` if
    the handshake fails. Waiting for the peer is not bounded here (the gateway
    holds a waiting end for ``hold_timeout``): wrap the call in a timeout.
    """
    keep_heap_mapped()
    connection = ChannelConnection(
        channel,
        gateways,
        ticket_source,
        ssl_context=ssl_context,
        reconnect=reconnect or ReconnectPolicy(),
        transport=transport or TransportOptions(),
        handshake_timeout=handshake_timeout,
        ack_delay=ack_delay,
        receive_buffer=receive_buffer,
    )
    await connection._start()
    return connection


class ChannelConnection:
    """One end of a session's channel, carried through gateways; see ``connect``.

    It outlives its WebSockets: a dropped transport is replaced and the channel
    resumed, so messages are delivered exactly once and in order.
    """

    def __init__(
        self,
        channel: Channel,
        gateways: Sequence[str],
        ticket_source: TicketSource,
        *,
        ssl_context: ssl.SSLContext | None,
        reconnect: ReconnectPolicy,
        transport: TransportOptions,
        handshake_timeout: float,
        ack_delay: float,
        receive_buffer: int,
    ) -> None:
        if not gateways:
            raise ValueError("at least one gateway URL is needed")
        self._channel = channel
        self._gateways = list(gateways)
        self._gateway = 0
        self._ticket_source = ticket_source
        self._ssl = ssl_context
        self._reconnect = reconnect
        self._transport = transport
        self._handshake_timeout = handshake_timeout
        self._ack_delay = ack_delay
        self._receive_buffer = receive_buffer
        self._log = _PrefixedLog(channel.role.label)
        self._loop = asyncio.get_running_loop()

        # Receiving: messages for the application, and reading paused when full.
        self._inbox: deque[bytes] = deque()
        self._inbox_bytes = 0
        self._readable = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()

        # Sending: wake the writer; wait for the send buffer to empty.
        self._dirty = asyncio.Event()
        self._capacity = asyncio.Event()
        self._unyielded = 0

        # Transport and channel state.
        self._ready: asyncio.Future[None] = self._loop.create_future()
        self._ended = asyncio.Event()
        self._closed: ChannelClosed | None = None
        self._cause: BaseException | None = None
        self._task: asyncio.Task[None] | None = None
        self._websocket: ClientConnection | None = None
        self._initiated = False
        self._peer_present = False
        self._awaiting_resume = False
        self._epoch = 0
        self._ack_timer: asyncio.TimerHandle | None = None
        self._handshake_timer: asyncio.TimerHandle | None = None

    # -- state -------------------------------------------------------------

    @property
    def role(self) -> Role:
        """This end's role."""
        return self._channel.role

    @property
    def comparison_code(self) -> str:
        """The six-digit code ("123 456") to compare with the other person."""
        code = self._channel.comparison_code
        if code is None:
            raise UsageError("the handshake is not complete")
        return code

    @property
    def peer_participant(self) -> str:
        """The peer's participant id, from its certificate signed by the site."""
        certificate = self._channel.peer_certificate
        if certificate is None:
            raise UsageError("the handshake is not complete")
        return certificate.participant_id

    @property
    def gateway_url(self) -> str:
        """The gateway in use (or being tried)."""
        return self._gateways[self._gateway]

    @property
    def closed(self) -> ChannelClosed | None:
        """How the channel ended, once it has."""
        return self._closed

    # -- application calls -------------------------------------------------

    async def send(self, data: bytes) -> None:
        """Queue one message (at most 1 MiB) for the peer.

        Returns once the channel has sealed it; waits while the send buffer is
        full of unacknowledged frames, and through reconnections. Raises
        ``ChannelEnded`` (``ChannelFailed``) once the channel has ended.
        """
        while True:
            if self._closed is not None:
                raise self._ended_error()
            try:
                self._channel.send_message(data)
                break
            except SendBufferFull:
                self._capacity.clear()
                await self._capacity.wait()
            except ChannelError as exc:  # limit_reached: the channel ended itself
                code = exc.code if exc.code is not None else ErrorCode.LIMIT_REACHED
                self._end(ChannelClosed(code, str(exc), clean=False, by_peer=False))
        self._dirty.set()

        # Sealing never waits: give the writer and reader a turn now and then.
        self._unyielded += len(data) + 64
        if self._unyielded >= _YIELD_BYTES:
            self._unyielded = 0
            await asyncio.sleep(0)

    async def receive(self) -> bytes:
        """The peer's next message, exactly once and in order.

        After the last message: raises ``ChannelEnded`` for a clean close,
        ``ChannelFailed`` for an error.
        """
        while not self._inbox:
            if self._closed is not None:
                raise self._ended_error()
            self._readable.clear()
            await self._readable.wait()

        data = self._inbox.popleft()
        self._inbox_bytes -= len(data)
        if self._inbox_bytes <= self._receive_buffer:
            self._room.set()
        return data

    def __aiter__(self) -> ChannelConnection:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self.receive()
        except ChannelEnded as exc:
            if isinstance(exc, ChannelFailed):
                raise
            raise StopAsyncIteration from None

    async def close(
        self, reason: str = "", code: int = ErrorCode.NORMAL, timeout: float = 10.0
    ) -> ChannelClosed:
        """End the channel with an authenticated close and return how it ended.

        Waits up to ``timeout`` seconds for the peer's reply, then gives up
        (reported as ``truncated``, not clean). Closing a closed channel only
        returns how it ended.
        """
        if self._closed is None:
            self._channel.close(reason, code)
            self._dirty.set()
            if self._channel.closed:  # before the handshake: nothing to send
                self._end(ChannelClosed(code, reason, clean=False, by_peer=False))
            try:
                async with asyncio.timeout(timeout):
                    await self._ended.wait()
            except TimeoutError:
                self._dispatch(self._channel.abandon("no reply to the close"))
        await self._finish()
        assert self._closed is not None
        return self._closed

    async def wait_closed(self) -> ChannelClosed:
        """Wait until the channel ends (for any reason) and return how."""
        await self._ended.wait()
        assert self._closed is not None
        return self._closed

    async def __aenter__(self) -> ChannelConnection:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- the supervisor ----------------------------------------------------

    async def _start(self) -> None:
        self._task = asyncio.create_task(self._run())
        try:
            await self._ready
        except BaseException:
            await self._stop()
            raise

    async def _run(self) -> None:
        try:
            while not self._channel.closed:
                websocket, paired = await self._join()
                if paired or await self._wait_for_peer(websocket):
                    await self._serve(websocket)
        except GatewayUnavailable as exc:
            self._give_up(exc)
        except Exception as exc:
            self._log.exception("the channel connection failed")
            self._give_up(exc)

    async def _join(self) -> tuple[ClientConnection, bool]:
        """Join the session on a gateway, retrying per the policy."""
        policy = self._reconnect
        deadline = self._loop.time() + policy.deadline
        delay = policy.first_delay
        failure = GatewayUnavailable("no gateway tried")
        for attempt in range(1, policy.attempts + 1):
            url = self.gateway_url
            self._log.info("joining the session on %s (attempt %d)", url, attempt)
            try:
                async with asyncio.timeout_at(deadline):
                    return await self._join_once(url)
            except TimeoutError:
                break
            except GatewayUnavailable as exc:
                if exc.permanent:
                    raise
                failure = exc
                self._log.info("not admitted: %s", exc.reason)
                if exc.close_code is None:  # unreachable: try the next one
                    self._gateway = (self._gateway + 1) % len(self._gateways)

            pause = min(delay, deadline - self._loop.time())
            if pause <= 0:
                break
            await asyncio.sleep(pause * random.uniform(0.5, 1.0))  # noqa: S311
            delay = min(2 * delay, policy.max_delay)
        raise GatewayUnavailable(
            f"could not join the session again: {failure.reason}",
            close_code=failure.close_code,
        ) from failure

    async def _join_once(self, url: str) -> tuple[ClientConnection, bool]:
        try:
            ticket = await self._ticket_source(url)
        except Exception as exc:  # the caller's code, asking the site
            raise GatewayUnavailable(f"no ticket for {url}: {exc!r}") from exc
        return await join(url, self.role, ticket, self._ssl, self._transport)

    async def _wait_for_peer(self, websocket: ClientConnection) -> bool:
        """Wait on a joined transport for the peer; False if it dropped first."""
        self._log.info("waiting for the %s", self.role.peer.label)
        try:
            await wait_for_peer(websocket)
        except GatewayUnavailable as exc:
            if exc.permanent:
                raise
            self._log.info("transport lost while waiting: %s", exc.reason)
            return False
        return True

    async def _serve(self, websocket: ClientConnection) -> None:
        """Run the channel over one paired WebSocket until it closes."""
        self._websocket = websocket
        self._peer_present = True
        if self._initiated:
            self._resume()
        else:
            self._initiated = True
            self._channel.initiate()
            self._handshake_timer = self._loop.call_later(
                self._handshake_timeout, self._handshake_overdue
            )
        self._dirty.set()

        writer = asyncio.create_task(self._write(websocket))
        try:
            await self._read(websocket)
        finally:
            writer.cancel()
            await asyncio.wait([writer])
            self._websocket = None
        error = None if writer.cancelled() else writer.exception()
        if error is not None:
            raise error
        if not self._channel.closed:
            self._transport_lost(websocket)

    def _transport_lost(self, websocket: ClientConnection) -> None:
        failure = refusal(websocket)
        if failure.permanent:
            if failure.close_code == SESSION_ENDED:
                failure.reason = "the peer ended the session without closing"
            raise failure
        self._log.info("transport lost: %s", failure.reason)
        self._cause = failure
        self._epoch += 1
        self._awaiting_resume = False
        self._dispatch(self._channel.transport_lost())

    def _give_up(self, exc: BaseException) -> None:
        self._cause = exc
        if not self._ready.done():
            self._ready.set_exception(exc)
        self._dispatch(self._channel.abandon(str(exc)))
        if self._websocket is not None:
            self._websocket.transport.abort()

    async def _finish(self) -> None:
        """Let the writer flush the close and close the WebSocket, if there is one."""
        if self._task is not None and self._websocket is not None:
            await asyncio.wait([self._task], timeout=self._transport.close_timeout)
        await self._stop()

    async def _stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.wait([self._task])
        if self._websocket is not None:
            self._websocket.transport.abort()
        self._cancel_timers()

    # -- one transport -----------------------------------------------------

    async def _read(self, websocket: ClientConnection) -> None:
        """Frames to the channel, notices to ``_on_notice``, until it closes."""
        with contextlib.suppress(ConnectionClosed):
            while True:
                message = await websocket.recv()
                if isinstance(message, str):
                    self._on_notice(message)
                else:
                    self._on_frame(message)
                if self._inbox_bytes > self._receive_buffer:
                    self._room.clear()
                    await self._room.wait()

    async def _write(self, websocket: ClientConnection) -> None:
        """Send what the channel queued; close the WebSocket once it ended."""
        channel = self._channel
        with contextlib.suppress(ConnectionClosed):
            while True:
                frames = channel.frames_to_send()
                if frames:
                    await self._send_frames(websocket, frames)
                elif channel.closed:
                    await websocket.close()
                    return
                else:
                    self._dirty.clear()
                    await self._dirty.wait()

    async def _send_frames(
        self, websocket: ClientConnection, frames: list[Frame]
    ) -> None:
        epoch = self._epoch
        for frame in frames:
            if self._epoch != epoch:
                return  # the link changed under us: resent after the resume
            self._log.debug("sending a frame of %d bytes", len(frame))
            await websocket.send(frame)

    def _on_frame(self, frame: bytes) -> None:
        if self._awaiting_resume:
            if len(frame) < 2 or frame[1] != _RESUME:
                self._log.debug("discarded a frame from before the peer resumed")
                return
            self._awaiting_resume = False
        self._log.debug("received a frame of %d bytes", len(frame))
        self._dispatch(self._channel.receive_frame(frame, time.time()))

        if self._ack_timer is None and self._channel.is_open:
            self._ack_timer = self._loop.call_later(self._ack_delay, self._acknowledge)
        self._dirty.set()

    def _on_notice(self, text: str) -> None:
        notice = parse_notice(text)
        self._log.debug("gateway notice %r", notice.kind)
        if notice.kind == "peer-left" and notice.resumable:
            self._peer_left()
        elif notice.kind == "peer-left":
            self._log.info("the %s ended the session", self.role.peer.label)
        elif notice.kind in ("peer-returned", "paired"):
            self._peer_returned()

    def _peer_left(self) -> None:
        if not self._peer_present or self._channel.closed:
            return
        self._peer_present = False
        self._log.info("the %s's transport dropped", self.role.peer.label)
        self._epoch += 1
        self._awaiting_resume = False
        self._dispatch(self._channel.transport_lost())

    def _peer_returned(self) -> None:
        if self._peer_present or self._channel.closed:
            return
        self._peer_present = True
        self._log.info("the %s is back: resuming", self.role.peer.label)
        self._resume()

    def _resume(self) -> None:
        self._epoch += 1
        self._channel.resume()
        self._awaiting_resume = True
        self._dirty.set()

    # -- channel events and timers -----------------------------------------

    def _dispatch(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, MessageReceived):
                self._inbox.append(event.data)
                self._inbox_bytes += len(event.data)
                self._readable.set()
            elif isinstance(event, SendCapacityAvailable):
                self._capacity.set()
            elif isinstance(event, HandshakeComplete):
                self._opened(event)
            elif isinstance(event, Resumed):
                self._cause = None
                self._log.info("resumed, %d frames resent", event.retransmitted)
            elif isinstance(event, ChannelClosed):
                self._end(event)

    def _opened(self, event: HandshakeComplete) -> None:
        if self._handshake_timer is not None:
            self._handshake_timer.cancel()
            self._handshake_timer = None
        session = event.peer_certificate.session_id
        self._log.prefix = f"{self.role.label} in {session}"
        self._log.info(
            "channel open with %s %s", event.peer_role, event.peer_participant
        )
        if not self._ready.done():
            self._ready.set_result(None)

    def _end(self, event: ChannelClosed) -> None:
        if self._closed is not None:
            return
        self._closed = event
        self._log.info(
            "channel closed by %s: code %d, %s",
            "the peer" if event.by_peer else "this end",
            event.code,
            "clean" if event.clean else "not clean",
        )
        for waiting in (self._readable, self._capacity, self._room, self._dirty):
            waiting.set()
        self._ended.set()
        self._cancel_timers()
        if not self._ready.done():
            self._ready.set_exception(self._ended_error())

    def _ended_error(self) -> ChannelEnded:
        closed = self._closed
        assert closed is not None
        if closed.clean and not 0 < closed.code < ErrorCode.APPLICATION:
            return ChannelEnded(closed)
        error = ChannelFailed(closed)
        if closed.code == ErrorCode.TRUNCATED:
            error.__cause__ = self._cause
        return error

    def _acknowledge(self) -> None:
        self._ack_timer = None
        self._channel.acknowledge()
        self._dirty.set()

    def _handshake_overdue(self) -> None:
        self._handshake_timer = None
        if not self._channel.is_open:
            self._log.info("no handshake within %.0f s", self._handshake_timeout)
            self._dispatch(self._channel.abandon("handshake timed out"))

    def _cancel_timers(self) -> None:
        for timer in (self._ack_timer, self._handshake_timer):
            if timer is not None:
                timer.cancel()
        self._ack_timer = self._handshake_timer = None


class _PrefixedLog(logging.LoggerAdapter[logging.Logger]):
    """Prefixes each line with the role (and the session, once it is known)."""

    def __init__(self, prefix: str) -> None:
        super().__init__(logger, {})
        self.prefix = prefix

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        return f"{self.prefix}: {msg}", kwargs
