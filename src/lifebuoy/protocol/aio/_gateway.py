"""Joining a session on a gateway: endpoint, ticket, pairing notices, close codes.

The gateway's side of this is ``docs/gateway.md``. Everything ``websockets``
raises while joining is translated here, into ``GatewayUnavailable``.
"""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from lifebuoy.tls import connect

from .. import Role
from ._errors import GatewayUnavailable
from ._streams import ChunkedClientConnection

logger = logging.getLogger(__name__)

TicketSource = Callable[[str], Awaitable[str]]
"""``await ticket_source(gateway_url)``: a fresh ticket for this end on that gateway."""

MAX_MESSAGE = (1 << 20) + (64 << 10)
"""Largest message accepted: a 1 MiB channel frame and its 36 bytes, with room."""

SESSION_ENDED = 1000
_PERMANENT = {
    SESSION_ENDED: "the session ended",
    1009: "a frame was too large for the gateway",
    4002: "the ticket is for the other role",
    4006: "nobody came within the gateway's hold time",
    4007: "the peer did not return within the gateway's resume grace",
    4008: "the gateway refused a text message",
}
"""Close codes after which no new connection can help."""


@dataclass(frozen=True)
class ReconnectPolicy:
    """How hard to try to (re)join a session before giving up."""

    attempts: int = 20
    """Connections tried, over all gateways, before giving up."""
    first_delay: float = 0.1
    """Seconds before the second attempt; doubled each time after that."""
    max_delay: float = 3.0
    """Longest wait between two attempts."""
    deadline: float = 60.0
    """Seconds from the first attempt until the session must be joined again."""


@dataclass(frozen=True)
class TransportOptions:
    """WebSocket settings for every connection to a gateway."""

    open_timeout: float = 10.0
    """Seconds to open the TLS WebSocket."""
    keepalive: float | None = 20.0
    """Seconds between pings, and to wait for their pong; ``None`` disables."""
    max_queue: int = 4
    """Received messages the WebSocket buffers before reading pauses."""
    write_limit: int = 1 << 20
    """Write buffer high-water mark in bytes."""
    close_timeout: float = 5.0
    """Seconds allowed for flushing a close and the WebSocket closing handshake."""


@dataclass(frozen=True)
class Notice:
    """A control message from the gateway (a JSON text message)."""

    kind: str
    """``waiting``, ``paired``, ``peer-left``, ``peer-returned`` or unknown."""
    resumable: bool = False
    """For ``peer-left``: the peer may come back."""


def parse_notice(text: str) -> Notice:
    """Decode a control message, ignoring fields this end does not know."""
    try:
        decoded = json.loads(text)
    except ValueError:
        decoded = None
    if not isinstance(decoded, dict):
        return Notice("unknown")
    return Notice(str(decoded.get("type")), decoded.get("resumable") is True)


def endpoint(gateway_url: str, role: Role) -> str:
    """The WebSocket URL of ``role``'s endpoint on a gateway."""
    return f"{gateway_url.rstrip('/')}/v1/{role.label}"


async def join(
    gateway_url: str,
    role: Role,
    ticket: str,
    ssl_context: ssl.SSLContext | None,
    options: TransportOptions,
) -> tuple[ClientConnection, bool]:
    """Open the endpoint and present the ticket; return once the gateway has
    admitted this end, and whether the peer is already there (paired)."""
    try:
        websocket = await connect(
            endpoint(gateway_url, role),
            ssl=ssl_context,
            compression=None,
            max_size=MAX_MESSAGE,
            max_queue=options.max_queue,
            write_limit=options.write_limit,
            ping_interval=options.keepalive,
            ping_timeout=options.keepalive,
            open_timeout=options.open_timeout,
            close_timeout=options.close_timeout,
            create_connection=ChunkedClientConnection,
        )
    except InvalidStatus as exc:
        status = exc.response.status_code
        raise GatewayUnavailable(
            f"{gateway_url} answered HTTP {status}", permanent=400 <= status < 500
        ) from exc
    except (OSError, TimeoutError, InvalidHandshake) as exc:
        raise GatewayUnavailable(f"{gateway_url} unreachable: {exc}") from exc

    try:
        await websocket.send(ticket)
        notice = await next_notice(websocket)
    except BaseException:
        websocket.transport.abort()
        raise
    if notice.kind not in ("waiting", "paired"):
        websocket.transport.abort()
        raise GatewayUnavailable(f"unexpected {notice.kind!r} from {gateway_url}")
    return websocket, notice.kind == "paired"


async def wait_for_peer(websocket: ClientConnection) -> None:
    """After ``waiting``: return when the gateway says the peer is here."""
    while (await next_notice(websocket)).kind != "paired":
        pass


async def next_notice(websocket: ClientConnection) -> Notice:
    """The next control message; frames cannot come before pairing."""
    try:
        message = await websocket.recv()
    except ConnectionClosed:
        raise refusal(websocket) from None
    if not isinstance(message, str):
        websocket.transport.abort()
        raise GatewayUnavailable("a frame before the session was paired")
    return parse_notice(message)


def refusal(websocket: ClientConnection) -> GatewayUnavailable:
    """Why the gateway closed a connection, as an error."""
    code = websocket.close_code
    reason = websocket.close_reason or _PERMANENT.get(code or 0, "connection lost")
    return GatewayUnavailable(
        f"gateway closed the connection ({code} {reason})",
        close_code=code,
        permanent=code in _PERMANENT,
    )
