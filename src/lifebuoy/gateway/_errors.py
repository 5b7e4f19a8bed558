"""The gateway's exceptions; the tree is drawn in the package docstring."""

from __future__ import annotations

__all__ = [
    "ConnectionLimitReached",
    "GatewayError",
    "HoldExpired",
    "PeerDidNotReturn",
    "RoleTaken",
    "TicketError",
    "TicketExpired",
    "TicketInvalid",
    "TicketNotPresented",
    "UnexpectedMessage",
    "WrongRole",
]


class GatewayError(Exception):
    """Root of the gateway's exceptions.

    Each subclass that ends a connection carries the WebSocket close code and
    the short reason sent with it; the asyncio adaptor converts the exception
    into a close frame in one place.
    """

    close_code = 4000
    reason = "gateway-error"


class TicketError(GatewayError):
    """A ticket was refused."""


class TicketInvalid(TicketError):
    """Malformed ticket, unknown key id or a signature that does not verify."""

    close_code = 4000
    reason = "ticket-invalid"


class TicketExpired(TicketError):
    """A well-signed ticket whose validity period has ended."""

    close_code = 4001
    reason = "ticket-expired"


class WrongRole(GatewayError):
    """The ticket's role is not the role of the endpoint it was presented to."""

    close_code = 4002
    reason = "wrong-role"


class RoleTaken(GatewayError):
    """The session already has a live connection for this role."""

    close_code = 4003
    reason = "role-taken"


class TicketNotPresented(GatewayError):
    """No ticket arrived as the first text message before the deadline."""

    close_code = 4004
    reason = "ticket-not-presented"


class ConnectionLimitReached(GatewayError):
    """Too many connections from one address, or on the whole gateway."""

    close_code = 4005
    reason = "too-many-connections"


class HoldExpired(GatewayError):
    """The first end waited longer than the hold time and nobody came."""

    close_code = 4006
    reason = "hold-expired"


class PeerDidNotReturn(GatewayError):
    """The other end left and did not come back within the resume grace."""

    close_code = 4007
    reason = "peer-did-not-return"


class UnexpectedMessage(GatewayError):
    """A text message after the ticket: ends may only send binary frames."""

    close_code = 4008
    reason = "unexpected-message"
