"""Keepalive: one sweep over every connection instead of a task per connection.

``websockets`` keeps a connection alive with a task of its own that sleeps,
pings and waits for the pong: a task, two coroutines and a timer handle, held
twice per idle session. The gateway turns that off and runs one task instead.
Every ``ping_interval`` it looks at each open connection:

* a ping still unanswered ``ping_timeout`` after it was sent: the peer is dead,
  close the connection with 1011;
* no ping outstanding: send one.

When ``ping_timeout`` is shorter than ``ping_interval`` the sweep also runs
``ping_timeout`` after each round of pings, so a dead peer is found at the
first sweep at least ``ping_timeout`` after its unanswered ping.

A connection with data queued to it is skipped: flow control is in charge
there, and a ping would wait behind the data (``websockets``' own keepalive
waits the same way). Outstanding pings and their send times are the ones
``websockets`` keeps on the connection, so a pong is matched as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode

logger = logging.getLogger(__name__)

KEEPALIVE_TIMEOUT = CloseCode.INTERNAL_ERROR
"""Close code for a connection whose pong is late (1011)."""
SLACK = 0.005
"""Seconds a timer may fire early; a pong this close to its deadline is late."""


async def keep_alive(
    connections: Callable[[], Iterable[ServerConnection]],
    close: Callable[[ServerConnection], None],
    interval: float,
    timeout: float | None,
) -> None:
    """Ping ``connections()`` every ``interval`` seconds; ``close`` the late ones."""
    while True:
        await sweep(connections(), close, timeout)
        if timeout is not None and timeout < interval:
            await asyncio.sleep(timeout)
            await sweep(connections(), close, timeout, ping=False)
            await asyncio.sleep(interval - timeout)
        else:
            await asyncio.sleep(interval)


async def sweep(
    connections: Iterable[ServerConnection],
    close: Callable[[ServerConnection], None],
    timeout: float | None,
    *,
    ping: bool = True,
) -> None:
    """One pass: close each connection whose pong is late, ping the others."""
    now = asyncio.get_running_loop().time()
    for conn in list(connections):
        if conn.transport.get_write_buffer_size():
            continue  # busy: a ping would wait for the peer to read first
        if conn.pending_pings:
            if timeout is not None and _oldest(conn) + timeout <= now + SLACK:
                logger.debug("%s: no pong in %.1f s", _peer(conn), timeout)
                close(conn)
        elif ping:
            with contextlib.suppress(ConnectionClosed):
                await conn.ping()


def _oldest(conn: ServerConnection) -> float:
    return min(sent_at for _, sent_at in conn.pending_pings.values())


def _peer(conn: ServerConnection) -> str:
    address = conn.remote_address
    return str(address[0]) if address else "unknown"
