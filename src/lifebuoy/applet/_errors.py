"""Errors of the applet; the tree is drawn in the package docstring."""

from __future__ import annotations


class AppletError(Exception):
    """Root of everything the applet raises on purpose; ``str()`` is for people."""


class SessionFileError(AppletError):
    """The session file cannot be used: missing, not ours, corrupt or hostile."""


class SiteError(AppletError):
    """The site refused a request, or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        """The HTTP status of a refusal; ``None`` when the site did not answer."""

    @property
    def permanent(self) -> bool:
        """Asking again cannot help (the site refused; it was not unreachable)."""
        return self.status is not None and 400 <= self.status < 500


class MessageError(AppletError):
    """A channel message broke docs/sessions.md; the session ends."""
