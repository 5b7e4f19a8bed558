"""Pairing: the gateway's sans-I/O core.

Theory of operation. A session is created by the first ticket that names it
and lives only in memory. Each role (customer, technician) has at most one
live connection in it. The first end to arrive waits; when the second
arrives both are told they are paired, and from then on the adaptor forwards
binary frames between them, counting bytes per direction.

A session has at most one deadline at a time:

* never paired yet, somebody waiting: ``created + hold_timeout``. Reconnecting
  does not extend it, so a customer cannot wait forever by reconnecting;
* an end has left after the session was paired (or the waiter dropped):
  ``earliest departure + resume_grace``. The same role may come back with a
  fresh ticket for the same session in the meantime and is paired again;
* both ends present: no deadline; the keepalive sweep finds dead peers.

When a deadline passes, the ends still there are closed with the matching
code and the session is forgotten. An end that closes with 1000 (normal
closure) ends the session at once: the channel protocol closes itself with
an authenticated message first, so a clean close means the session is over.

Time is passed in as a monotonic number of seconds; nothing here sleeps,
reads a clock or touches a socket. Connections are opaque handles chosen by
the adaptor.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from typing import Generic, TypeAlias, TypeVar

from ._errors import (
    ConnectionLimitReached,
    GatewayError,
    HoldExpired,
    PeerDidNotReturn,
    RoleTaken,
)
from .config import Limits
from .reporting import SessionEvent
from .tickets import Role, Ticket

C = TypeVar("C")

NORMAL_CLOSURE = 1000


@dataclass(frozen=True, slots=True)
class Notify(Generic[C]):
    """Send a control message to a connection."""

    conn: C
    """The connection to tell."""
    message: dict[str, object]
    """The JSON object to send as a text message."""


@dataclass(frozen=True, slots=True)
class Close(Generic[C]):
    """Close a connection."""

    conn: C
    """The connection to close."""
    code: int
    """WebSocket close code."""
    reason: str
    """Close reason, a short ASCII word."""


@dataclass(frozen=True, slots=True)
class Report:
    """Tell the site about a lifecycle change."""

    event: SessionEvent
    """What happened."""


Action: TypeAlias = Notify[C] | Close[C] | Report


@dataclass(frozen=True, slots=True)
class Member(Generic[C]):
    """One live connection in a session."""

    conn: C
    """The adaptor's handle."""
    participant: str
    """Participant id from the ticket."""


@dataclass(eq=False, slots=True)
class Session(Generic[C]):
    """One session's state; the adaptor reads it and records bytes."""

    session_id: str
    created_at: float
    members: dict[Role, Member[C]] = field(default_factory=dict)
    joined: set[Role] = field(default_factory=set)
    left_at: dict[Role, float] = field(default_factory=dict)
    paired: bool = False
    deadline: float | None = None
    bytes_from: dict[Role, int] = field(default_factory=lambda: dict.fromkeys(Role, 0))

    def peer(self, role: Role) -> C | None:
        """The live connection of the other end, if any."""
        member = self.members.get(role.other)
        return None if member is None else member.conn

    def record(self, role: Role, nbytes: int) -> None:
        """Count bytes received from ``role`` (forwarded or not)."""
        self.bytes_from[role] += nbytes

    def event(
        self, kind: str, role: Role | None = None, reason: str | None = None
    ) -> SessionEvent:
        """A lifecycle event stamped with this session's byte counts."""
        member = None if role is None else self.members.get(role)
        return SessionEvent(
            kind=kind,
            session_id=self.session_id,
            role=role,
            participant=None if member is None else member.participant,
            reason=reason,
            bytes_from_customer=self.bytes_from[Role.CUSTOMER],
            bytes_from_technician=self.bytes_from[Role.TECHNICIAN],
        )


class Pairing(Generic[C]):
    """Sessions, roles, deadlines and connection counts of one gateway."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.sessions: dict[str, Session[C]] = {}
        self.connections = 0
        self._per_address: Counter[str] = Counter()
        self._deadlines: list[tuple[float, str]] = []

    # Connections.

    def admit(self, address: str) -> None:
        """Count a new connection from ``address`` or refuse it."""
        if self.connections >= self.limits.max_connections:
            raise ConnectionLimitReached("gateway is full")
        if self._per_address[address] >= self.limits.max_connections_per_address:
            raise ConnectionLimitReached("too many connections from this address")
        self._per_address[address] += 1
        self.connections += 1

    def release(self, address: str) -> None:
        """Forget a connection counted by `admit`."""
        self.connections -= 1
        self._per_address[address] -= 1
        if self._per_address[address] <= 0:
            del self._per_address[address]

    # Sessions.

    def join(
        self, ticket: Ticket, conn: C, now: float
    ) -> tuple[Session[C], list[Action[C]]]:
        """Put a connection with a verified ticket into its session."""
        session = self.sessions.get(ticket.session_id)
        if session is None:
            session = Session(ticket.session_id, created_at=now)
            self.sessions[ticket.session_id] = session
        role = ticket.role
        if role in session.members:
            raise RoleTaken(f"a {role} is already connected")

        returning = role in session.joined
        session.members[role] = Member(conn, ticket.participant)
        session.joined.add(role)
        session.left_at.pop(role, None)
        actions = self._announce(session, role, conn, returning)
        self._schedule(session)
        return session, actions

    def leave(
        self, session: Session[C], role: Role, conn: C, now: float, close_code: int
    ) -> list[Action[C]]:
        """Take a connection out of its session after its transport closed."""
        member = session.members.get(role)
        if self.sessions.get(session.session_id) is not session or (
            member is None or member.conn is not conn
        ):
            return []  # the session already ended and closed this connection

        actions: list[Action[C]] = [Report(session.event("left", role))]
        del session.members[role]
        other = session.peer(role)
        if close_code == NORMAL_CLOSURE:
            if other is not None:
                actions.append(Notify(other, {"type": "peer-left", "resumable": False}))
                actions.append(Close(other, NORMAL_CLOSURE, "session-ended"))
            return [*actions, *self._end(session, f"ended-by-{role}")]

        session.left_at[role] = now
        if other is not None:
            actions.append(Notify(other, {"type": "peer-left", "resumable": True}))
        self._schedule(session)
        return actions

    def expire(self, now: float) -> list[Action[C]]:
        """End every session whose deadline has passed."""
        actions: list[Action[C]] = []
        while self._deadlines and self._deadlines[0][0] <= now:
            deadline, session_id = heapq.heappop(self._deadlines)
            session = self.sessions.get(session_id)
            if session is None or session.deadline != deadline:
                continue  # stale entry: the session moved on
            actions.extend(self._expire(session))
        return actions

    def next_deadline(self) -> float | None:
        """The earliest pending deadline, possibly a stale one."""
        return self._deadlines[0][0] if self._deadlines else None

    # Helpers.

    def _announce(
        self, session: Session[C], role: Role, conn: C, returning: bool
    ) -> list[Action[C]]:
        other = session.peer(role)
        if other is None:
            return [
                Notify(conn, {"type": "waiting"}),
                Report(session.event("waiting", role)),
            ]
        if not session.paired:
            session.paired = True
            return [
                Notify(other, {"type": "paired"}),
                Notify(conn, {"type": "paired"}),
                Report(session.event("paired", role)),
            ]
        kind = "returned" if returning else "paired"
        return [
            Notify(other, {"type": f"peer-{kind}"}),
            Notify(conn, {"type": "paired"}),
            Report(session.event(kind, role)),
        ]

    def _schedule(self, session: Session[C]) -> None:
        deadlines: list[float] = []
        if len(session.members) < 2:
            if not session.paired:
                deadlines.append(session.created_at + self.limits.hold_timeout)
            if session.left_at:
                earliest = min(session.left_at.values())
                deadlines.append(earliest + self.limits.resume_grace)
        session.deadline = min(deadlines, default=None)
        if session.deadline is not None:
            heapq.heappush(self._deadlines, (session.deadline, session.session_id))

    def _expire(self, session: Session[C]) -> list[Action[C]]:
        error: type[GatewayError]
        if not session.members:
            reason = "abandoned"
            error = PeerDidNotReturn
        elif not session.paired:
            error = HoldExpired
            reason = error.reason
        else:
            error = PeerDidNotReturn
            reason = error.reason

        actions: list[Action[C]] = [
            Close(member.conn, error.close_code, error.reason)
            for member in session.members.values()
        ]
        return [*actions, *self._end(session, reason)]

    def _end(self, session: Session[C], reason: str) -> list[Action[C]]:
        del self.sessions[session.session_id]
        session.deadline = None
        return [Report(session.event("closed", reason=reason))]
