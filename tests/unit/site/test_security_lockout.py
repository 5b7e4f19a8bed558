"""Lockout per login ID, throttling per address, and what the answers reveal."""

from __future__ import annotations

import dataclasses
import re
import statistics
import time
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from lifebuoy.site.accounts import lockout, login

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"


def _login(login_id: str, password: str, ip: str = ADDRESS) -> Any:
    return Client(secure=True).post(
        "/accounts/login/",
        {"login_id": login_id, "password": password},
        REMOTE_ADDR=ip,
    )


def _fail_until_locked(login_id: str) -> Any:
    """Fail as often as it takes to lock; return the first failure's answer."""
    answers = [
        _login(login_id, "not the password")
        for _ in range(lockout._SECURITY.login_max_failures)
    ]
    assert [a.status_code for a in answers] == [401] * len(answers)
    return answers[0]


@pytest.fixture
def cheap_decoy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A decoy hash at the unit tests' cheap cost: the real one names N=2^17
    in its own text, so every unknown login ID would pay half a second."""
    from lifebuoy.site.accounts.hashing import ScryptHasher

    hasher = ScryptHasher()
    monkeypatch.setattr(login, "DECOY_HASH", hasher.encode("decoy", hasher.salt()))


def _set_clock(monkeypatch: pytest.MonkeyPatch, at: datetime) -> None:
    # Only the login path sees the moved clock; the audit log keeps real time.
    monkeypatch.setattr(login, "timezone", SimpleNamespace(now=lambda: at))


def _comparable(response: Any, login_id: str) -> str:
    """The page without what differs by design: its CSRF token and the echo
    of the login ID that was typed."""
    page = response.content.decode()
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "TOKEN", page)
    return page.replace(login_id, "LOGIN-ID")


def test_lockout_refuses_the_right_password_until_the_lock_ends(
    technician: Any, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = timezone.now()
    _set_clock(monkeypatch, started)
    _fail_until_locked(technician.email)
    assert _login(technician.email, password).status_code == 403

    lock_s = lockout._SECURITY.login_lockout_s
    _set_clock(monkeypatch, started + timedelta(seconds=lock_s - 1))
    assert _login(technician.email, password).status_code == 403

    _set_clock(monkeypatch, started + timedelta(seconds=lock_s + 1))
    assert _login(technician.email, password).status_code == 302


def test_lockout_ends_when_its_stored_end_passes(
    technician: Any, password: str
) -> None:
    from lifebuoy.site.accounts.models import LoginLock

    _fail_until_locked(technician.email)
    lock = LoginLock.objects.get(login_id=technician.email)
    assert lock.until > timezone.now()
    assert _login(technician.email, password).status_code == 403

    LoginLock.objects.filter(pk=lock.pk).update(until=timezone.now())
    assert _login(technician.email, password).status_code == 302
    assert not LoginLock.objects.filter(login_id=technician.email).exists()


def test_lockout_of_unknown_login_id_refuses_exactly_like_an_account(
    technician: Any, cheap_decoy: None
) -> None:
    unknown = "nobody@acme.test"
    answers = {}
    for login_id in (technician.email, unknown):
        wrong = _fail_until_locked(login_id)
        locked = _login(login_id, "not the password")
        answers[login_id] = (wrong, locked)

    for step in (0, 1):
        known, other = answers[technician.email][step], answers[unknown][step]
        assert known.status_code == other.status_code == (401, 403)[step]
        assert _comparable(known, technician.email) == _comparable(other, unknown)
        assert sorted(known.headers) == sorted(other.headers)


def test_address_over_its_failure_limit_refuses_with_429(
    technician: Any, password: str, monkeypatch: pytest.MonkeyPatch, cheap_decoy: None
) -> None:
    from lifebuoy.site.audit.models import AuditEvent

    limit = 5
    monkeypatch.setattr(
        lockout,
        "_SECURITY",
        dataclasses.replace(lockout._SECURITY, address_max_failures=limit),
    )
    # Spread over many login IDs, so no single one locks.
    for n in range(limit):
        assert _login(f"guess{n}@acme.test", "x").status_code == 401

    throttled = _login(technician.email, password)
    assert throttled.status_code == 429
    assert throttled["Retry-After"].isdigit()
    assert b"Too many failed logins from your address." in throttled.content
    assert _login(technician.email, password, ip="198.51.100.9").status_code == 302

    refused = AuditEvent.objects.filter(
        actor=technician.email, detail__reason="address throttled"
    ).get()
    assert refused.ip == ADDRESS


def test_audit_log_records_each_attempt_with_its_address(
    technician: Any, password: str
) -> None:
    from lifebuoy.site.audit.models import AuditEvent

    _login(technician.email, "wrong", ip="192.0.2.1")
    _login("nobody@acme.test", "wrong", ip="192.0.2.2")
    _login(technician.email, password, ip="2001:db8::5")

    events = AuditEvent.objects.filter(action="login").order_by("seq")
    assert [(e.actor, e.ip, e.outcome) for e in events] == [
        (technician.email, "192.0.2.1", "failure"),
        ("nobody@acme.test", "192.0.2.2", "failure"),
        (technician.email, "2001:db8::5", "success"),
    ]
    assert events[0].actor_id == technician.pk
    assert events[1].actor_id is None


def _failure_time(login_id: str) -> float:
    started = time.perf_counter()
    assert _login(login_id, "not the password").status_code == 401
    return time.perf_counter() - started


@pytest.mark.real_hashing
def test_unknown_login_id_refuses_in_the_same_time_as_a_wrong_password(
    technician: Any,
) -> None:
    # Both pay one full scrypt hash (~0.5 s); without the decoy hash the
    # unknown ID would answer in milliseconds. The tries alternate, so that
    # load from other processes weighs on both sides alike.
    known: list[float] = []
    unknown: list[float] = []
    for _ in range(5):
        known.append(_failure_time(technician.email))
        unknown.append(_failure_time("nobody@acme.test"))

    medians = statistics.median(known), statistics.median(unknown)
    assert abs(medians[0] - medians[1]) < 0.25 * max(medians), (known, unknown)
    assert min(medians) > 0.05
