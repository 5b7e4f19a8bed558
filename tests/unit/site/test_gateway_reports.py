"""Standalone gateways report to /api/v1/gateway/events with a bearer token."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from lifebuoy.site.relay.models import RelayEvent

pytestmark = pytest.mark.django_db

TOKEN = "gateway-token-for-tests"


@pytest.fixture
def token_file(tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    from lifebuoy.site.relay import store

    path = tmp_path / "gateway-report.token"
    path.write_text(TOKEN + "\n")
    monkeypatch.setattr(store, "token_path", lambda: path)
    return path


def _post(body: object, token: str | None = TOKEN) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Client(secure=True).post(
        "/api/v1/gateway/events", raw, content_type="application/json", **headers
    )


def _event(**changes: Any) -> dict[str, Any]:
    event = {
        "kind": "paired",
        "session_id": "s-1",
        "role": None,
        "participant": None,
        "reason": None,
        "bytes_from_customer": 10,
        "bytes_from_technician": 20,
        "at": 1_800_000_000.5,
    }
    return {**event, **changes}


def test_reports_with_the_token_are_stored(token_file: Path) -> None:
    response = _post({"events": [_event(), _event(kind="closed", reason="ended")]})
    assert response.status_code == 200
    assert response.json() == {"stored": 2}
    assert list(RelayEvent.objects.values_list("kind", flat=True)) == [
        "paired",
        "closed",
    ]


@pytest.mark.parametrize("token", [None, "wrong", TOKEN + "x", ""])
def test_reports_without_the_right_token_are_refused(
    token_file: Path, token: str | None
) -> None:
    assert _post({"events": [_event()]}, token=token).status_code == 401
    assert RelayEvent.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        {"nothing": []},
        {"events": "nope"},
        {"events": [1]},
        {"events": [_event(kind="exploded")]},
        {"events": [_event(at="yesterday")]},
        {"events": [_event(bytes_from_customer=-1)]},
        {"events": [_event(session_id="x" * 500)]},
        {"events": [_event()] * 1001},
        {"events": [_event(), _event(kind="bad")]},
    ],
)
def test_malformed_reports_get_400_and_store_nothing(
    token_file: Path, body: object
) -> None:
    response = _post(body)
    assert response.status_code == 400
    assert "Not a gateway report" in response.json()["error"]
    assert RelayEvent.objects.count() == 0
