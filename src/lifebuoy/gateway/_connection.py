"""The gateway's WebSocket connection: ``websockets``' own, with less to hold.

Nearly every session is idle nearly all the time, so what one open
connection holds, multiplied by two per session, is the gateway's memory.
`GatewayConnection` behaves like the ``ChunkedServerConnection`` it extends
and holds the same state, more compactly:

* its attributes live in slots: ``websockets`` gives a connection 27 of
  them, enough to turn the instance dict into a 1.5 KiB table of its own;
* the queues that are empty unless a message is on its way (waiters for the
  write buffer to drain, received frames, received bytes) are lists, not
  deques, which allocate a 0.5 KiB block even when empty;
* it logs through the plain ``websockets`` logger instead of a
  ``LoggerAdapter`` of its own (with a weak proxy to itself) per connection,
  so its log records lack the ``websocket`` attribute, which the gateway's
  logging does not use;
* it does not keep the last frame it received. ``websockets``' parser is a
  generator whose local variable holds the frame it parsed last until the
  next one arrives: the ticket for a session that stays idle, a whole
  channel frame (up to 1 MiB) for one that was busy. When the parser waits
  for the first byte of a frame it holds no other state, so a fresh parser
  replaces it (``ChunkedServerConnection`` starts its own the same way).
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import Any, TypeVar

from websockets.protocol import OPEN

from lifebuoy.protocol.aio import ChunkedServerConnection

__all__ = ["GatewayConnection"]

T = TypeVar("T")


class _Fifo(list[T]):
    """A list with the deque methods ``websockets`` and ``ChunkReader`` use.

    They hold a handful of items at most (frames below ``max_queue``, the
    TLS records of one message), so taking from the front costs nothing.
    """

    __slots__ = ()

    def popleft(self) -> T:
        return self.pop(0)

    def extendleft(self, items: Any) -> None:
        for item in items:
            self.insert(0, item)


class GatewayConnection(ChunkedServerConnection):
    """A ``ChunkedServerConnection`` that takes less memory while idle."""

    # Every attribute websockets 15 to 17 sets on a server connection; one it
    # adds later lands in the instance dict, as before.
    __slots__ = (
        "close_deadline",
        "close_timeout",
        "connection_exc",
        "connection_lost_waiter",
        "debug",
        "drain_waiters",
        "id",
        "keepalive_task",
        "latency",
        "logger",
        "loop",
        "max_queue_high",
        "max_queue_low",
        "paused",
        "pending_pings",
        "ping_interval",
        "ping_timeout",
        "protocol",
        "recv_messages",
        "request",
        "request_rcvd",
        "response",
        "send_in_progress",
        "server",
        "transport",
        "username",
        "write_limit_high",
        "write_limit_low",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.drain_waiters = _Fifo()  # type: ignore[assignment]
        reader = self.protocol.reader
        reader._chunks = _Fifo()  # type: ignore[attr-defined]
        adapter = self.protocol.logger
        if isinstance(adapter, logging.LoggerAdapter):
            self.protocol.logger = self.logger = adapter.logger

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self.recv_messages.frames.queue = _Fifo()  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        protocol = self.protocol
        if protocol.state is OPEN and _waits_for_a_frame(protocol.parser):
            protocol.parser.close()
            protocol.parser = protocol.parse()
            next(protocol.parser)


def _waits_for_a_frame(parser: Generator[None]) -> bool:
    """Whether ``websockets``' parser is parked between two frames.

    It is when the innermost generator it delegates to is the reader's
    ``at_eof``, which it calls only before each frame. Should ``websockets``
    ever parse differently, this is false and the parser is left alone.
    """
    inner: Any = parser
    while getattr(inner, "gi_yieldfrom", None) is not None:
        inner = inner.gi_yieldfrom
    code = getattr(inner, "gi_code", None)
    return code is not None and code.co_name == "at_eof"
