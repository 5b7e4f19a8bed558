"""The channel over a gateway, for asyncio: the applet's, the client's and tests'.

The sans-I/O core (``lifebuoy.protocol``) never imports this package; this is
its thin adaptor over the gateway's WebSockets (``docs/gateway.md``). It joins
the session with a ticket, runs the handshake when the peer is there, moves
frames both ways, acknowledges when idle, and resumes the channel on a new
transport when one drops, on the same gateway or the next one listed::

    async def tickets(gateway_url: str) -> str:
        return await site.fresh_ticket(gateway_url)   # short-lived: one per join

    channel = Channel(role=Role.CUSTOMER, session_id=sid, certificate=cert,
                      private_key=key, site_keys=site_keys, now=time.time())
    async with await connect(channel, ["wss://gw1.example", "wss://gw2.example"],
                             tickets) as connection:
        show(connection.comparison_code, connection.peer_participant)
        await connection.send(b"hello")
        async for message in connection:   # ends at a clean close
            ...

Exceptions (``ProtocolError`` and ``UsageError`` are the core's)::

    ProtocolError
    ├── ChannelEnded             the channel closed cleanly; ``closed`` tells how
    │   └── ChannelFailed        it ended with an error; ``error_code`` is the
    │                            wire code (``error`` as an ``ErrorCode``)
    ├── GatewayUnavailable       no gateway admitted this end; ``close_code``
    └── UsageError               e.g. the comparison code before the handshake
"""

from ._allocator import keep_heap_mapped
from ._connection import ChannelConnection, connect
from ._errors import ChannelEnded, ChannelFailed, GatewayUnavailable
from ._gateway import ReconnectPolicy, TicketSource, TransportOptions
from ._streams import ChunkedServerConnection

__all__ = [
    "ChannelConnection",
    "ChannelEnded",
    "ChannelFailed",
    "ChunkedServerConnection",
    "GatewayUnavailable",
    "ReconnectPolicy",
    "TicketSource",
    "TransportOptions",
    "connect",
    "keep_heap_mapped",
]
