"""Malformed requests get a 4xx with a clear message, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
FORM = "application/x-www-form-urlencoded"


def _client() -> Client:
    # Exceptions become the 500 page, as in production, instead of being
    # raised into the test.
    return Client(secure=True, raise_request_exception=False)


def _text(response: Any) -> str:
    return response.content.decode("utf-8", "replace")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "This field is required."),
        ({"login_id": "tina@acme.test"}, "This field is required."),
        (
            {"login_id": "a" * 10_240 + "@acme.test", "password": "x"},
            "Ensure this value has at most 254 characters",
        ),
        (
            {"login_id": "tina@acme.test", "password": "p" * 2000},
            "Ensure this value has at most 1024 characters",
        ),
    ],
)
def test_login_refuses_a_bad_form_with_400(
    technician: Any, data: dict[str, str], message: str
) -> None:
    response = _client().post(LOGIN, data)
    assert response.status_code == 400
    assert message in _text(response)


def test_long_password_refuses_before_any_hash(
    technician: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lifebuoy.site.accounts import login

    async def no_hash(password: str, encoded: str) -> bool:
        raise AssertionError("a 2000-character password reached the hasher")

    monkeypatch.setattr(login, "averify", no_hash)
    response = _client().post(
        LOGIN, {"login_id": technician.email, "password": "p" * 2000}
    )
    assert response.status_code == 400


def test_body_over_the_limit_refuses_with_413(settings: Any) -> None:
    limit = settings.LIFEBUOY.security.max_request_body_bytes
    declared = _client().post(LOGIN, {}, CONTENT_LENGTH=str(limit + 1))
    assert declared.status_code == 413
    assert declared.json() == {
        "error": f"The request body is larger than {limit} bytes."
    }

    sent = _client().post(LOGIN, b"a" * (limit + 1), content_type=FORM)
    assert sent.status_code == 413


def test_body_at_the_limit_is_read(settings: Any) -> None:
    limit = settings.LIFEBUOY.security.max_request_body_bytes
    body = b"login_id=a%40acme.test&password=x&pad=" + b"a" * 100
    padded = body + b"a" * (limit - len(body))
    response = _client().post(LOGIN, padded, content_type=FORM)
    # The form is read (and refused for its login ID), not the size.
    assert response.status_code == 401


@pytest.mark.parametrize("length", ["abc", "-1", "+5", " 12 ", "1e3", "1_0", "١٢"])
def test_invalid_content_length_refuses_with_400(length: str) -> None:
    response = _client().post(
        LOGIN, b"login_id=a", content_type=FORM, CONTENT_LENGTH=length
    )
    assert response.status_code == 400
    assert response.json() == {"error": "Content-Length is not a number."}


@pytest.mark.parametrize(
    "body",
    [
        b"login_id=\xff\xfe%40acme.test&password=\xff",
        b"login_id=%ff%fe%40acme.test&password=%c3%28",
        b"login_id=a%00%40acme.test&password=x%00",
        b"\xff\xfe\xfd",
    ],
)
def test_bad_utf8_in_a_form_body_refuses_with_4xx(body: bytes) -> None:
    response = _client().post(LOGIN, body, content_type=FORM)
    assert response.status_code in (400, 401)
    assert "not right" in _text(response) or "field" in _text(response)


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/login/?next=%ff%fe",
        "/accounts/login/?next=%00",
        "/accounts/login/?%ff=%ff&reason=%fe",
        "/api/v1/health?x=%ff",
    ],
)
def test_bad_utf8_in_a_query_string_is_no_server_error(url: str) -> None:
    response = _client().get(url)
    assert response.status_code == 200


def test_bad_utf8_next_does_not_steer_the_redirect(
    technician: Any, password: str
) -> None:
    response = _client().post(
        "/accounts/login/?next=%ff%fe",
        {"login_id": technician.email, "password": password},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("/console/", "/console/"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("http://testserver/console/", "/"),
        ("console/", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_login_refuses_to_redirect_off_the_site(
    technician: Any, password: str, target: str, landing: str
) -> None:
    response = _client().post(
        LOGIN, {"login_id": technician.email, "password": password, "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == landing


@pytest.mark.parametrize("url", ["/%ff/", "/accounts/%ff%fe/", "/api/v1/%ff", "/%00/"])
def test_bad_utf8_in_a_path_refuses_with_404(url: str) -> None:
    response = _client().get(url)
    assert response.status_code == 404
    assert "There is nothing at this address." in _text(response)


@pytest.mark.parametrize("method", ["put", "delete", "patch", "options", "trace"])
def test_login_refuses_other_methods_with_405_and_a_message(method: str) -> None:
    response = getattr(_client(), method)(LOGIN)
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"
    assert "This address does not accept that method." in _text(response)


def test_405_through_the_asgi_handler_has_a_message() -> None:
    # Under uvicorn the middleware runs its async path.
    response = async_to_sync(AsyncClient().put)(LOGIN, secure=True)
    assert response.status_code == 405
    assert "This address does not accept that method." in _text(response)


@pytest.mark.parametrize(
    "host", ["evil.example", "exa mple:xx", "[::1]", "localhost.evil.example"]
)
def test_unknown_host_header_refuses_with_400(host: str) -> None:
    response = Client(secure=True, HTTP_HOST=host).get(LOGIN)
    assert response.status_code == 400
    assert "The request could not be understood." in _text(response)


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("post", "/api/v1/health", 405),
        ("put", "/api/v1/me", 405),
        ("post", "/api/v1/me", 405),
        # Gateway reports: the token is checked before the body is read.
        ("post", "/api/v1/gateway/events", 401),
    ],
)
def test_json_garbage_to_the_api_refuses_with_4xx(
    method: str, url: str, status: int
) -> None:
    for body in (b"{garbage", b"\xff\xfe", b'{"a": ' * 5000, b"null"):
        response = getattr(_client(), method)(
            url, body, content_type="application/json"
        )
        assert response.status_code == status, body[:10]
        assert response.content


def test_json_garbage_to_a_logged_in_api_refuses_with_4xx(technician: Any) -> None:
    import time

    client = Client(secure=True, raise_request_exception=False)
    client.force_login(technician)
    session = client.session
    session["lb_auth_at"] = session["lb_last_seen"] = int(time.time())
    session.save()
    response = client.generic(
        "GET", "/api/v1/me", b"{garbage", content_type="application/json"
    )
    # A GET ignores its body; the garbage changes nothing.
    assert response.status_code == 200
    assert response.json()["email"] == technician.email


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=xyz", b"--xyz\r\ngarbage"),
        ("multipart/form-data; boundary=xyz", b"--xyz\r\n\r\n\r\n--xyz--"),
        ("multipart/form-data", b"no boundary at all"),
        ("multipart/form-data; boundary=\xff", b"garbage"),
        ("multipart/form-data; boundary=" + "b" * 300, b"garbage"),
        ("application/json", b"{garbage"),
    ],
)
def test_garbage_bodies_to_a_form_refuse_with_400(
    content_type: str, body: bytes
) -> None:
    response = _client().post(LOGIN, body, content_type=content_type)
    assert response.status_code == 400
    assert "Traceback" not in _text(response)


def test_too_many_form_fields_refuse_with_400() -> None:
    body = "&".join(f"f{n}=1" for n in range(500))
    response = _client().post(LOGIN, body, content_type=FORM)
    assert response.status_code == 400
    assert "The request could not be understood." in _text(response)
