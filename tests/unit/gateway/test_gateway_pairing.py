"""The pairing core, driven with a fake clock and string connection handles."""

from __future__ import annotations

import pytest

from lifebuoy.gateway import ConnectionLimitReached, Limits, Role, RoleTaken, Ticket
from lifebuoy.gateway._pairing import Action, Close, Notify, Pairing, Report

LIMITS = Limits(
    hold_timeout=600, resume_grace=60, max_connections_per_address=2, max_connections=3
)


def _ticket(role: Role, session_id: str = "s-1", participant: str = "p") -> Ticket:
    return Ticket("k1", session_id, role, participant, 0, 120)


def _notices(actions: list[Action[str]]) -> list[tuple[str, object]]:
    return [(a.conn, a.message["type"]) for a in actions if isinstance(a, Notify)]


def _closes(actions: list[Action[str]]) -> list[tuple[str, int]]:
    return [(a.conn, a.code) for a in actions if isinstance(a, Close)]


def _reports(actions: list[Action[str]]) -> list[tuple[str, str | None]]:
    return [
        (a.event.kind, a.event.reason or a.event.role)
        for a in actions
        if isinstance(a, Report)
    ]


@pytest.fixture
def pairing() -> Pairing[str]:
    return Pairing(LIMITS)


def test_first_end_waits_and_second_pairs(pairing: Pairing[str]) -> None:
    _, first = pairing.join(_ticket(Role.CUSTOMER), "cust", now=0)
    session, second = pairing.join(_ticket(Role.TECHNICIAN), "tech", now=5)

    assert _notices(first) == [("cust", "waiting")]
    assert _notices(second) == [("cust", "paired"), ("tech", "paired")]
    assert _reports(first + second) == [
        ("waiting", "customer"),
        ("paired", "technician"),
    ]
    assert session.peer(Role.CUSTOMER) == "tech"
    assert session.deadline is None


def test_waiting_end_is_closed_when_the_hold_expires(pairing: Pairing[str]) -> None:
    pairing.join(_ticket(Role.CUSTOMER), "cust", now=0)

    assert pairing.expire(now=599) == []
    actions = pairing.expire(now=600)

    assert _closes(actions) == [("cust", 4006)]
    assert _reports(actions) == [("closed", "hold-expired")]
    assert pairing.sessions == {}


def test_reconnecting_does_not_extend_the_hold(pairing: Pairing[str]) -> None:
    session, _ = pairing.join(_ticket(Role.CUSTOMER), "cust", now=0)
    pairing.leave(session, Role.CUSTOMER, "cust", now=300, close_code=1006)
    pairing.join(_ticket(Role.CUSTOMER), "cust2", now=310)

    assert _closes(pairing.expire(now=600)) == [("cust2", 4006)]


def test_second_connection_for_a_present_role_is_refused(pairing: Pairing[str]) -> None:
    pairing.join(_ticket(Role.CUSTOMER), "cust", now=0)

    with pytest.raises(RoleTaken) as caught:
        pairing.join(_ticket(Role.CUSTOMER, participant="other"), "intruder", now=1)
    assert caught.value.close_code == 4003


def test_end_that_drops_can_resume_within_the_grace(pairing: Pairing[str]) -> None:
    session, _ = pairing.join(_ticket(Role.CUSTOMER), "cust", now=0)
    pairing.join(_ticket(Role.TECHNICIAN), "tech", now=1)

    left = pairing.leave(session, Role.TECHNICIAN, "tech", now=10, close_code=1006)
    again, back = pairing.join(_ticket(Role.TECHNICIAN), "tech2", now=69)

    assert _notices(left) == [("cust", "peer-left")]
    assert _reports(left) == [("left", "technician")]
    assert again is session
    assert _notices(back) == [("cust", "peer-returned"), ("tech2", "paired")]
    assert _reports(back) == [("returned", "technician")]
    assert pairing.expire(now=1000) == []


def test_session_ends_when_the_grace_expires(pairing: Pairing[str]) -> None:
    session, _ = pairing.join(_ticket(Role.CUSTOMER), "cust", now=0)
    pairing.join(_ticket(Role.TECHNICIAN), "tech", now=1)
    pairing.leave(session, Role.TECHNICIAN, "tech", now=10, close_code=1001)

    assert pairing.expire(now=69) == []
    actions = pairing.expire(now=70)

    assert _closes(actions) == [("cust", 4007)]
    assert _reports(actions) == [("closed", "peer-did-not-return")]
    # Too late: the technician comes back to a new, unpaired session.
    _, late = pairing.join(_ticket(Role.TECHNICIAN), "tech2", now=71)
    assert _notices(late) == [("tech2", "waiting")]


def test_session_left_by_both_is_abandoned_after_the_grace(
    pairing: Pairing[str],
) -> None:
    session, _ = pairing.join(_ticket(Role.CUSTOMER), "cust", now=0)
    pairing.join(_ticket(Role.TECHNICIAN), "tech", now=1)
    pairing.leave(session, Role.CUSTOMER, "cust", now=10, close_code=1006)
    pairing.leave(session, Role.TECHNICIAN, "tech", now=20, close_code=1006)

    assert _reports(pairing.expire(now=70)) == [("closed", "abandoned")]


def test_both_ends_resume_after_both_dropped(pairing: Pairing[str]) -> None:
    session, _ = pairing.join(_ticket(Role.CUSTOMER), "cust", now=0)
    pairing.join(_ticket(Role.TECHNICIAN), "tech", now=1)
    pairing.leave(session, Role.CUSTOMER, "cust", now=10, close_code=1006)
    pairing.leave(session, Role.TECHNICIAN, "tech", now=10, close_code=1006)

    _, first = pairing.join(_ticket(Role.CUSTOMER), "cust2", now=20)
    _, second = pairing.join(_ticket(Role.TECHNICIAN), "tech2", now=21)

    assert _notices(first) == [("cust2", "waiting")]
    assert _notices(second) == [("cust2", "peer-returned"), ("tech2", "paired")]


def test_normal_closure_ends_the_session_at_once(pairing: Pairing[str]) -> None:
    session, _ = pairing.join(_ticket(Role.CUSTOMER), "cust", now=0)
    pairing.join(_ticket(Role.TECHNICIAN), "tech", now=1)

    actions = pairing.leave(session, Role.CUSTOMER, "cust", now=2, close_code=1000)

    assert _notices(actions) == [("tech", "peer-left")]
    assert _closes(actions) == [("tech", 1000)]
    assert _reports(actions)[-1] == ("closed", "ended-by-customer")
    assert pairing.sessions == {}
    assert pairing.expire(now=10_000) == []


def test_leave_after_the_session_ended_is_ignored(pairing: Pairing[str]) -> None:
    session, _ = pairing.join(_ticket(Role.CUSTOMER), "cust", now=0)
    pairing.expire(now=600)

    assert pairing.leave(session, Role.CUSTOMER, "cust", now=601, close_code=4006) == []


def test_stale_connection_leaving_does_not_evict_its_successor(
    pairing: Pairing[str],
) -> None:
    session, _ = pairing.join(_ticket(Role.CUSTOMER), "old", now=0)
    pairing.leave(session, Role.CUSTOMER, "old", now=1, close_code=1006)
    pairing.join(_ticket(Role.CUSTOMER), "new", now=2)

    assert pairing.leave(session, Role.CUSTOMER, "old", now=3, close_code=1006) == []
    assert session.members[Role.CUSTOMER].conn == "new"


def test_byte_counts_are_reported_per_direction(pairing: Pairing[str]) -> None:
    session, _ = pairing.join(_ticket(Role.CUSTOMER), "cust", now=0)
    pairing.join(_ticket(Role.TECHNICIAN), "tech", now=1)
    session.record(Role.CUSTOMER, 100)
    session.record(Role.TECHNICIAN, 7)
    session.record(Role.CUSTOMER, 1)

    actions = pairing.leave(session, Role.TECHNICIAN, "tech", now=2, close_code=1000)
    closed = [a.event for a in actions if isinstance(a, Report)][-1]

    assert closed.kind == "closed"
    assert (closed.bytes_from_customer, closed.bytes_from_technician) == (101, 7)


def test_connections_are_limited_per_address(pairing: Pairing[str]) -> None:
    pairing.admit("10.0.0.1")
    pairing.admit("10.0.0.1")

    with pytest.raises(ConnectionLimitReached) as caught:
        pairing.admit("10.0.0.1")
    assert caught.value.close_code == 4005

    pairing.release("10.0.0.1")
    pairing.admit("10.0.0.1")


def test_connections_are_limited_in_total(pairing: Pairing[str]) -> None:
    for address in ("a", "b", "c"):
        pairing.admit(address)

    with pytest.raises(ConnectionLimitReached):
        pairing.admit("d")
    pairing.release("a")
    pairing.admit("d")


def test_sessions_are_independent(pairing: Pairing[str]) -> None:
    pairing.join(_ticket(Role.CUSTOMER, "s-1"), "c1", now=0)
    pairing.join(_ticket(Role.CUSTOMER, "s-2"), "c2", now=100)
    pairing.join(_ticket(Role.TECHNICIAN, "s-2"), "t2", now=101)

    assert _closes(pairing.expire(now=650)) == [("c1", 4006)]
    assert list(pairing.sessions) == ["s-2"]
