"""Errors of the asyncio adaptor; the tree is drawn in the package docstring."""

from __future__ import annotations

from .. import ChannelClosed, ErrorCode, ProtocolError


class ChannelEnded(ProtocolError):
    """The channel is over: nothing more can be sent or received.

    Raised as such after a clean close (code 0, or an application code chosen
    by whoever closed); async iteration then stops quietly.
    """

    def __init__(self, closed: ChannelClosed) -> None:
        super().__init__(f"channel closed with code {closed.code}: {closed.reason}")
        self.closed = closed
        """The channel's ``ChannelClosed`` event: code, reason, clean, by whom."""

    @property
    def error_code(self) -> int:
        """The code the channel ended with, as carried on the wire."""
        return self.closed.code

    @property
    def error(self) -> ErrorCode | None:
        """The code as an ``ErrorCode`` (``None`` for an application code)."""
        return self.closed.error


class ChannelFailed(ChannelEnded):
    """The channel ended with an error: detected here, reported by the peer in
    its authenticated close, or ``truncated`` (transport gone, not resumed)."""


class GatewayUnavailable(ProtocolError):
    """No gateway let this end into its session.

    ``close_code`` is the WebSocket close code the gateway refused with
    (``docs/gateway.md``, "Close codes"), or ``None`` when no gateway answered.
    """

    def __init__(
        self, reason: str, *, close_code: int | None = None, permanent: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        """What went wrong, for people."""
        self.close_code = close_code
        """The gateway's close code, if it got that far."""
        self.permanent = permanent
        """Trying again (even with a fresh ticket) cannot help."""
