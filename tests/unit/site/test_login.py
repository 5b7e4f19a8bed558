"""Login through the real view: success, failure, lockout, audit."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _client() -> Client:
    return Client(enforce_csrf_checks=False, secure=True)


def _login(client: Client, login_id: str, password: str) -> Any:
    return client.post(
        "/accounts/login/",
        {"login_id": login_id, "password": password},
        REMOTE_ADDR="203.0.113.7",
    )


def test_login_succeeds_and_lands_on_the_console(
    technician: Any, password: str
) -> None:
    client = _client()
    response = _login(client, "TINA@acme.test", password)
    assert response.status_code == 302
    assert client.get("/", follow=True).request["PATH_INFO"] == "/console/"


def test_wrong_password_and_unknown_account_get_the_same_answer(
    technician: Any,
) -> None:
    wrong = _login(_client(), "tina@acme.test", "not the password")
    unknown = _login(_client(), "nobody@acme.test", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert b"The email or password is not right." in wrong.content
    assert b"The email or password is not right." in unknown.content


def test_lockout_refuses_the_right_password_and_audits_each_attempt(
    technician: Any, password: str, settings: Any
) -> None:
    from lifebuoy.site.audit.models import AuditEvent

    limit = settings.LIFEBUOY.security.login_max_failures
    for _ in range(limit):
        assert _login(_client(), "tina@acme.test", "wrong").status_code == 401
    locked = _login(_client(), "tina@acme.test", password)
    assert locked.status_code == 403
    assert b"locked" in locked.content

    attempts = AuditEvent.objects.filter(action="login", actor="tina@acme.test")
    assert attempts.count() == limit + 1
    assert set(attempts.values_list("ip", flat=True)) == {"203.0.113.7"}
    assert attempts.filter(outcome="success").count() == 0
    assert AuditEvent.objects.filter(action="login.lockout").count() == 1
