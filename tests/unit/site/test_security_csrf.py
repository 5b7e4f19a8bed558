"""State-changing requests without a CSRF token are refused with 403."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.http import HttpRequest
from django.test import Client, override_settings
from django.urls import path
from ninja import NinjaAPI
from ninja.security import django_auth

pytestmark = pytest.mark.django_db

REFUSAL = b"The form expired or came from another site."
REFERER = "https://testserver/accounts/login/"


def _strict_client(user: Any = None) -> Client:
    client = Client(enforce_csrf_checks=True, secure=True)
    if user is not None:
        client.force_login(user)
        session = client.session
        session["lb_auth_at"] = session["lb_last_seen"] = int(time.time())
        session.save()
    return client


def _token(client: Client, url: str) -> str:
    client.get(url)
    return str(client.cookies["__Host-lifebuoy-csrf"].value)


def test_login_without_csrf_token_refuses_with_a_clear_message(
    technician: Any, password: str
) -> None:
    client = _strict_client()
    response = client.post(
        "/accounts/login/",
        {"login_id": technician.email, "password": password},
        HTTP_REFERER=REFERER,
    )
    assert response.status_code == 403
    assert REFUSAL in response.content
    assert "_auth_user_id" not in client.session


def test_login_with_csrf_token_is_accepted(technician: Any, password: str) -> None:
    # The control for the test above: the same post with its token passes.
    client = _strict_client()
    token = _token(client, "/accounts/login/")
    response = client.post(
        "/accounts/login/",
        {
            "login_id": technician.email,
            "password": password,
            "csrfmiddlewaretoken": token,
        },
        HTTP_REFERER=REFERER,
    )
    assert response.status_code == 302


def test_login_with_token_from_another_site_refuses(
    technician: Any, password: str
) -> None:
    client = _strict_client()
    token = _token(client, "/accounts/login/")
    response = client.post(
        "/accounts/login/",
        {
            "login_id": technician.email,
            "password": password,
            "csrfmiddlewaretoken": token,
        },
        HTTP_ORIGIN="https://evil.example",
    )
    assert response.status_code == 403
    assert REFUSAL in response.content


def test_logout_without_csrf_token_refuses_and_keeps_the_session(
    technician: Any,
) -> None:
    client = _strict_client(technician)
    response = client.post("/accounts/logout/", HTTP_REFERER=REFERER)
    assert response.status_code == 403
    assert REFUSAL in response.content
    assert client.get("/console/").status_code == 200


def test_password_change_without_csrf_token_refuses(
    technician: Any, password: str
) -> None:
    client = _strict_client(technician)
    new = "a much longer new passphrase 42"
    response = client.post(
        "/accounts/password/",
        {
            "current_password": password,
            "new_password": new,
            "repeat_password": new,
        },
        HTTP_REFERER=REFERER,
    )
    assert response.status_code == 403
    assert REFUSAL in response.content
    technician.refresh_from_db()
    assert technician.check_password(password)


# The site's API has no state-changing endpoint yet. This probe API declares
# one the way api/routes.py declares its routes (session auth through Ninja's
# django_auth), so that the CSRF check that every future route will inherit
# is proven now.
_probe = NinjaAPI(urls_namespace="csrf-probe", docs_url=None)
_probe_calls: list[str] = []


@_probe.post("/change", auth=django_auth)
def _change(request: HttpRequest) -> dict[str, str]:
    _probe_calls.append("post")
    return {"status": "changed"}


@_probe.put("/change", auth=django_auth)
def _replace(request: HttpRequest) -> dict[str, str]:
    _probe_calls.append("put")
    return {"status": "replaced"}


urlpatterns = [path("api/v1/", _probe.urls)]


@pytest.mark.parametrize("method", ["post", "put"])
def test_api_change_with_session_and_no_csrf_token_refuses(
    technician: Any, method: str
) -> None:
    client = _strict_client(technician)
    token = _token(client, "/console/")
    _probe_calls.clear()
    with override_settings(ROOT_URLCONF=__name__):
        refused = getattr(client, method)(
            "/api/v1/change", data={}, content_type="application/json"
        )
        assert refused.status_code == 403
        assert _probe_calls == []

        # With the token the same call passes, so the refusal was CSRF.
        accepted = getattr(client, method)(
            "/api/v1/change",
            data={},
            content_type="application/json",
            HTTP_X_CSRFTOKEN=token,
            HTTP_REFERER="https://testserver/console/",
        )
    assert accepted.status_code == 200
    assert _probe_calls == [method]
