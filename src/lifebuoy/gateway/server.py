"""The asyncio adaptor: a `websockets` server around the pairing core.

Each connection is served by one task that reads the ticket, joins the
session, then reads a message and writes it to the peer before reading the
next one. A reader that stops reading therefore stops its writer: the
peer's ``send`` waits for its write buffer to drain, the gateway stops
reading, its receive queue fills up and TCP flow control pushes back on the
sender. Memory per session stays within a few messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeAlias, cast

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Origin

from lifebuoy.protocol.aio import keep_heap_mapped
from lifebuoy.tls import TLSSettings, server_engines

from ._connection import GatewayConnection
from ._errors import (
    GatewayError,
    TicketInvalid,
    TicketNotPresented,
    UnexpectedMessage,
    WrongRole,
)
from ._keepalive import KEEPALIVE_TIMEOUT, keep_alive
from ._pairing import Action, Close, Notify, Pairing, Report, Session
from .config import GatewayConfig
from .reporting import NullReporter, Reporter
from .tickets import Role, Ticket, verify_ticket

__all__ = ["ENDPOINTS", "Gateway", "Tap", "run_gateway"]

logger = logging.getLogger(__name__)

ENDPOINTS = {"/v1/customer": Role.CUSTOMER, "/v1/technician": Role.TECHNICIAN}
"""WebSocket paths and the role each admits."""

Tap: TypeAlias = Callable[[Role, bytes | str], None]
"""Test hook: sees every message the gateway receives, with its sender's role."""

Conn: TypeAlias = ServerConnection

OPEN_TIMEOUT = 10.0
"""Seconds for the TLS handshake, then as long for the WebSocket handshake."""


class Gateway:
    """A relay serving both endpoints; usable inside a running event loop.

    ``await start()`` binds and serves; ``await close()`` stops and closes every
    connection. The reporter is the caller's to close.
    """

    def __init__(
        self,
        config: GatewayConfig,
        reporter: Reporter | None = None,
        *,
        tap: Tap | None = None,
    ) -> None:
        self.config = config
        self.reporter: Reporter = reporter or NullReporter()
        self.pairing: Pairing[Conn] = Pairing(config.limits)
        self._tap = tap
        self._server: Server | None = None
        self._timer: asyncio.Task[None] | None = None
        self._keepalive: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._in_hand = 0
        self._forwarders: set[asyncio.Task[Any]] = set()
        self._closing = False

    @property
    def port(self) -> int:
        """The TCP port actually bound (useful with port 0)."""
        assert self._server is not None, "gateway not started"
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Bind and start serving."""
        keep_heap_mapped()
        limits = self.config.limits
        context = self.config.server_ssl_context()
        if context is None:
            logger.warning("serving without TLS: put a TLS proxy in front")
        # TLS is Lifebuoy's own layer (lifebuoy.tls), not the event loop's.
        tls = None
        if context is not None:
            engines = server_engines(
                context, *self.config.tls_files(), kind=self.config.tls_engine
            )
            tls = TLSSettings(
                engines,
                handshake_timeout=OPEN_TIMEOUT,
                shutdown_timeout=limits.close_timeout,
            )
        self._server = await serve(
            self._handle,
            self.config.host,
            self.config.port,
            compression=None,
            origins=[*map(Origin, self.config.allowed_origins), None],
            process_request=self._check_request,
            server_header=None,
            max_size=limits.max_message_size,
            max_queue=limits.max_queue,
            write_limit=limits.write_limit,
            ping_interval=None,  # one sweep for all connections, see _keepalive
            open_timeout=OPEN_TIMEOUT,
            close_timeout=limits.close_timeout,
            backlog=limits.listen_backlog,
            create_connection=_connection_factory(tls),
        )
        self._timer = asyncio.create_task(self._expire_periodically())
        if limits.ping_interval is not None:
            self._keepalive = asyncio.create_task(
                keep_alive(
                    self._server_connections,
                    self._close_dead,
                    limits.ping_interval,
                    limits.ping_timeout,
                )
            )
        logger.info("gateway listening on port %d", self.port)

    async def close(self) -> None:
        """Stop listening and close every connection (1001 going away)."""
        for task in (self._timer, self._keepalive):
            if task is not None:
                task.cancel()
        # A forwarder blocked writing to a peer that is closing would wait for
        # that peer's close, while nobody reads its own connection's close
        # reply: each side would wait out close_timeout. Wake them first.
        self._closing = True
        for task in list(self._forwarders):
            task.cancel()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        logger.info("gateway closed")

    async def serve_forever(self) -> None:
        """Start, then serve until cancelled."""
        await self.start()
        try:
            await asyncio.Future()
        finally:
            await self.close()

    async def __aenter__(self) -> Gateway:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def buffered_bytes(self) -> int:
        """Bytes the gateway holds for sessions: messages in hand and write buffers.

        Receive queues are bounded by ``max_queue`` messages per connection
        and are not included.
        """
        total = self._in_hand
        for session in self.pairing.sessions.values():
            for member in session.members.values():
                total += member.conn.transport.get_write_buffer_size()
        return total

    # Handshake.

    def _check_request(self, conn: Conn, request: Request) -> Response | None:
        if request.path == "/healthz":
            return conn.respond(200, "ok\n")
        if request.path not in ENDPOINTS:
            return conn.respond(404, "not found\n")
        origin = _origin(request.headers)
        if origin is not None and origin not in self.config.allowed_origins:
            logger.warning(
                "refused a WebSocket from %s: origin %r not allowed",
                _address(conn),
                origin[:100],
            )
            return conn.respond(403, "origin not allowed\n")
        return None

    # Connection lifecycle.

    async def _handle(self, conn: Conn) -> None:
        assert conn.request is not None
        role = ENDPOINTS[conn.request.path]
        _forget_headers(conn)
        address = _address(conn)
        try:
            self.pairing.admit(address)
        except GatewayError as exc:
            await self._refuse(conn, role, exc)
            return

        try:
            session = await self._join(conn, await self._receive_ticket(conn, role))
            await self._relay(conn, session, role)
        except GatewayError as exc:
            await self._refuse(conn, role, exc)
        except ConnectionClosed:
            logger.debug("%s connection from %s closed", role, address)
        finally:
            self.pairing.release(address)

    async def _receive_ticket(self, conn: Conn, role: Role) -> Ticket:
        try:
            async with asyncio.timeout(self.config.limits.ticket_timeout):
                message = await conn.recv()
        except TimeoutError:
            raise TicketNotPresented("no ticket in time") from None
        if self._tap is not None:
            self._tap(role, message)

        if not isinstance(message, str):
            raise TicketInvalid("the first message must be a text ticket")
        ticket = verify_ticket(message, self.config.site_keys, time.time())
        if ticket.role is not role:
            raise WrongRole(f"{ticket.role} ticket on the {role} endpoint")
        return ticket

    async def _join(self, conn: Conn, ticket: Ticket) -> Session[Conn]:
        now = asyncio.get_running_loop().time()
        session, actions = self.pairing.join(ticket, conn, now)
        logger.info(
            "session %s: %s %s joined from %s",
            ticket.session_id,
            ticket.role,
            ticket.participant,
            _address(conn),
        )
        await self._apply(actions)
        return session

    async def _relay(self, conn: Conn, session: Session[Conn], role: Role) -> None:
        # One coroutine from here to the socket's read: every frame suspended
        # below the handler is memory held by each idle connection.
        task = asyncio.current_task()
        assert task is not None
        self._forwarders.add(task)
        try:
            tap = self._tap
            while True:
                message = await conn.recv()
                if tap is not None:
                    tap(role, message)
                await self._pass_on(session, role, message)
                # Else this coroutine would hold the last message (up to
                # 1 MiB) while it waits for the next, as long as the session
                # stays idle.
                del message
        except asyncio.CancelledError:
            if not self._closing:
                raise
            # Our own wake-up from close(). Keep reading, discarding, so the
            # peer's close reply behind its data frames reaches us at once.
            task.uncancel()
            with contextlib.suppress(ConnectionClosed):
                async for _ in conn:
                    pass
        finally:
            self._forwarders.discard(task)
            await self._leave(conn, session, role)

    async def _leave(self, conn: Conn, session: Session[Conn], role: Role) -> None:
        close_rcvd = conn.protocol.close_rcvd
        close_code = 1006 if close_rcvd is None else close_rcvd.code
        now = asyncio.get_running_loop().time()
        await self._apply(self.pairing.leave(session, role, conn, now, close_code))

    async def _pass_on(
        self, session: Session[Conn], role: Role, message: bytes | str
    ) -> None:
        if isinstance(message, str):
            raise UnexpectedMessage("text message after the ticket")
        session.record(role, len(message))
        peer = session.peer(role)
        if peer is None:
            logger.debug("session %s: no peer, frame dropped", session.session_id)
            return

        logger.debug(
            "session %s: %d bytes from %s", session.session_id, len(message), role
        )
        self._in_hand += len(message)
        try:
            await peer.send(message)
        except ConnectionClosed:
            logger.debug("session %s: peer gone, frame dropped", session.session_id)
        finally:
            self._in_hand -= len(message)

    async def _refuse(self, conn: Conn, role: Role, exc: GatewayError) -> None:
        logger.warning(
            "refused %s connection from %s: %s (%s)",
            role,
            _address(conn),
            exc.reason,
            exc,
        )
        await conn.close(exc.close_code, exc.reason)

    # Actions from the pairing core.

    async def _apply(self, actions: list[Action[Conn]]) -> None:
        for action in actions:
            if isinstance(action, Notify):
                await _notify(action.conn, action.message)
            else:
                self._apply_now(action)

    def _apply_now(self, action: Action[Conn]) -> None:
        if isinstance(action, Report):
            event = action.event
            logger.info(
                "session %s: %s%s%s",
                event.session_id,
                event.kind,
                f" {event.role}" if event.role else "",
                f" ({event.reason})" if event.reason else "",
            )
            self.reporter.report(event)
        elif isinstance(action, Close):
            self._spawn(action.conn.close(action.code, action.reason))
        else:
            self._spawn(_notify(action.conn, action.message))

    async def _expire_periodically(self) -> None:
        limits = self.config.limits
        tick = min(1.0, limits.hold_timeout / 20, limits.resume_grace / 20)
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(tick)
            for action in self.pairing.expire(loop.time()):
                self._apply_now(action)

    def _server_connections(self) -> set[Conn]:
        return set() if self._server is None else self._server.connections

    def _close_dead(self, conn: Conn) -> None:
        logger.info("closing the connection from %s: no pong", _address(conn))
        self._spawn(conn.close(KEEPALIVE_TIMEOUT, "keepalive ping timeout"))

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


async def run_gateway(config: GatewayConfig, reporter: Reporter | None = None) -> None:
    """Serve a gateway until cancelled; for embedding in another process."""
    await Gateway(config, reporter).serve_forever()


def _connection_factory(tls: TLSSettings | None) -> type[ServerConnection]:
    """What ``serve`` calls for each accepted socket: its asyncio protocol.

    With TLS, that is a `TLSLayer` above which the connection is made once the
    TLS handshake is done; ``websockets`` documents ``create_connection`` as a
    place for such a wrapper, though it types it as a class.
    """

    def create(*args: Any, **kwargs: Any) -> Any:
        connection = GatewayConnection(*args, **kwargs)
        return connection if tls is None else tls.wrap(connection)

    return cast("type[ServerConnection]", create)


async def _notify(conn: Conn, message: dict[str, object]) -> None:
    with contextlib.suppress(ConnectionClosed):
        await conn.send(json.dumps(message, separators=(",", ":")))


def _forget_headers(conn: Conn) -> None:
    """Drop the handshake's headers, which each connection would keep for life.

    ``websockets`` needs ``conn.request`` itself afterwards (it tells the
    handshake from the frames after it), but not its headers nor the response.
    """
    assert conn.request is not None
    conn.request.headers = Headers()
    conn.response = None


def _origin(headers: Headers) -> str | None:
    return headers.get("Origin")


def _address(conn: Conn) -> str:
    address = conn.remote_address
    return str(address[0]) if address else "unknown"
