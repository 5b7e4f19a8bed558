"""Errors of the client library; the tree is drawn in the package docstring."""

from __future__ import annotations


class ClientError(Exception):
    """Root of everything the client library raises on purpose."""


class LoginFailed(ClientError):
    """The site did not log the technician in; ``str()`` is the site's reason."""


class SiteRefused(ClientError):
    """The site answered a request with an error (``{"error": ...}``)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status
        """The HTTP status."""

    @property
    def retryable(self) -> bool:
        """Sending the same request again later may work (busy, or a 5xx)."""
        return self.status in (408, 429) or self.status >= 500


class SiteUnreachable(ClientError):
    """No answer from the site (connection refused, timeout, TLS failure)."""


class MessageError(ClientError):
    """The customer's end sent a channel message that breaks the rules."""
