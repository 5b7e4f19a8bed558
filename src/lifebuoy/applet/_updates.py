"""What the core tells a front end: frozen dataclasses, shown as they come.

All text in them is already safe to show (``_text.shown``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "ChatDelivered",
    "ChatShown",
    "CodeShown",
    "ConsentClosed",
    "ConsentRequested",
    "Ended",
    "Notice",
    "ScreenShared",
    "Status",
    "StatusChanged",
    "TechnicianShown",
    "Update",
]


class Status(enum.Enum):
    """Where the session is, as the customer reads it."""

    CONNECTING = "Connecting to the support site"
    WAITING = "Waiting for a technician"
    CONNECTED = "Connected"
    ON_HOLD = "On hold"
    TRANSFERRING = "Being transferred"
    ENDED = "Session ended"


@dataclass(frozen=True)
class StatusChanged:
    """The session moved to ``status``."""

    status: Status
    """The new status."""
    detail: str = ""
    """A sentence for the customer (e.g. who they are being transferred to)."""


@dataclass(frozen=True)
class TechnicianShown:
    """Who is connected (``None``: nobody any more)."""

    name: str | None
    """The name from the technician's ``hello``."""


@dataclass(frozen=True)
class CodeShown:
    """The comparison code of the channel (``None``: no channel now)."""

    code: str | None
    """Six digits as "123 456"."""


@dataclass(frozen=True)
class ChatShown:
    """A chat line to show."""

    id: str
    """The line's id; a later ``ChatDelivered`` names it."""
    sender: str
    """``technician`` or ``customer``."""
    text: str
    """The line."""
    number: int = 0
    """For the customer's own lines: 1, 2, ... (to refer to them in a terminal)."""


@dataclass(frozen=True)
class ChatDelivered:
    """The technician's console has shown the customer's line ``id``."""

    id: str
    """The line's id."""
    number: int
    """The line's number (``ChatShown.number``)."""


@dataclass(frozen=True)
class ConsentRequested:
    """The technician asks for something; ``AppletCore.answer`` replies."""

    request_id: str
    """Pass it back to ``answer``."""
    kind: str
    """What is asked, e.g. ``screen.view``."""
    detail: str
    """The request in words."""


@dataclass(frozen=True)
class ConsentClosed:
    """A request is no longer open (answered elsewhere, timed out, session over):
    a front end takes its prompt away."""

    request_id: str


@dataclass(frozen=True)
class ScreenShared:
    """What the technician may do with the screen now; shown plainly while on."""

    viewing: bool
    """The technician sees the screen."""
    controlling: bool
    """The technician moves the mouse and types."""
    technician: str
    """Who, as shown."""


@dataclass(frozen=True)
class Notice:
    """A sentence for the customer that changes nothing (e.g. a chat refused)."""

    text: str
    """The sentence."""


@dataclass(frozen=True)
class Ended:
    """The session is over; nothing more will come."""

    reason: str
    """Why, in words."""
    error: bool
    """It ended because something failed."""


Update = (
    StatusChanged
    | TechnicianShown
    | CodeShown
    | ChatShown
    | ChatDelivered
    | ConsentRequested
    | ConsentClosed
    | ScreenShared
    | Notice
    | Ended
)
