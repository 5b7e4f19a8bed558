"""The session and CSRF cookies: __Host- names, Secure, HttpOnly, Strict."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

SESSION_COOKIE = "__Host-lifebuoy-session"
CSRF_COOKIE = "__Host-lifebuoy-csrf"


def _assert_host_only_strict(cookie: Any) -> None:
    # __Host- is honoured by browsers only with Secure, Path=/ and no Domain.
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/"
    assert cookie["domain"] == ""
    assert "Domain=" not in cookie.OutputString()


def _log_in(technician: Any, password: str) -> Any:
    client = Client(secure=True)
    client.get("/accounts/login/")
    response = client.post(
        "/accounts/login/", {"login_id": technician.email, "password": password}
    )
    assert response.status_code == 302
    return response


def test_session_cookie_refuses_scripts_other_sites_and_subdomains(
    technician: Any, password: str
) -> None:
    response = _log_in(technician, password)
    assert SESSION_COOKIE in response.cookies
    assert "sessionid" not in response.cookies
    _assert_host_only_strict(response.cookies[SESSION_COOKIE])


def test_csrf_cookie_refuses_scripts_other_sites_and_subdomains(
    technician: Any, password: str
) -> None:
    page = Client(secure=True).get("/accounts/login/")
    assert CSRF_COOKIE in page.cookies
    assert "csrftoken" not in page.cookies
    _assert_host_only_strict(page.cookies[CSRF_COOKIE])

    # Login rotates the token; the new cookie has the same attributes.
    response = _log_in(technician, password)
    assert CSRF_COOKIE in response.cookies
    _assert_host_only_strict(response.cookies[CSRF_COOKIE])
