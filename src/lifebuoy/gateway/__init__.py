"""The gateway: pairs a session's two ends and forwards frames it cannot read.

The technician's console and the customer's applet each connect over TLS to
their endpoint, present a ticket signed by the site as their first message,
and are paired by session id. Binary frames are then forwarded as they are;
the gateway never holds a channel key. See ``docs/gateway.md``.

Modules: `tickets` (issue and verify), `_pairing` (the sans-I/O core),
`server` (the asyncio adaptor), `reporting` (lifecycle reports to the site),
`config` and `cli`.

Exceptions, each carrying the WebSocket close code it ends a connection with::

    GatewayError
    ├── TicketError
    │   ├── TicketInvalid          4000
    │   └── TicketExpired          4001
    ├── WrongRole                  4002
    ├── RoleTaken                  4003
    ├── TicketNotPresented         4004
    ├── ConnectionLimitReached     4005
    ├── HoldExpired                4006
    ├── PeerDidNotReturn           4007
    └── UnexpectedMessage          4008
"""

from ._errors import (
    ConnectionLimitReached,
    GatewayError,
    HoldExpired,
    PeerDidNotReturn,
    RoleTaken,
    TicketError,
    TicketExpired,
    TicketInvalid,
    TicketNotPresented,
    UnexpectedMessage,
    WrongRole,
)
from .config import GatewayConfig, Limits, load_site_keys
from .reporting import (
    CallbackReporter,
    HttpReporter,
    NullReporter,
    Reporter,
    SessionEvent,
)
from .server import ENDPOINTS, Gateway, Tap, run_gateway
from .tickets import Role, Ticket, issue_ticket, verify_ticket

__all__ = [
    "ENDPOINTS",
    "CallbackReporter",
    "ConnectionLimitReached",
    "Gateway",
    "GatewayConfig",
    "GatewayError",
    "HoldExpired",
    "HttpReporter",
    "Limits",
    "NullReporter",
    "PeerDidNotReturn",
    "Reporter",
    "Role",
    "RoleTaken",
    "SessionEvent",
    "Tap",
    "Ticket",
    "TicketError",
    "TicketExpired",
    "TicketInvalid",
    "TicketNotPresented",
    "UnexpectedMessage",
    "WrongRole",
    "issue_ticket",
    "load_site_keys",
    "run_gateway",
    "verify_ticket",
]
