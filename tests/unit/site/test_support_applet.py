"""Support sessions: the applet's credential and its join, ticket and leave."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

KEY = base64.b64encode(bytes(range(32))).decode()


def entered(technician: Any) -> tuple[str, str]:
    """A PIN session the customer has entered: its id and credential."""
    from lifebuoy.site.support.pins import create_pin, redeem_pin

    _, digits, _ = create_pin(technician, "192.0.2.1")
    session, credential = redeem_pin(digits, "198.51.100.1", "Ada", "Printer")
    return session.public_id, credential


def call(path: str, credential: str | None, body: Any = None) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {credential}"} if credential else {}
    data = body if isinstance(body, str) else json.dumps(body or {})
    return Client(secure=True).post(
        f"/api/v1/applet/{path}", data, content_type="application/json", **headers
    )


def join(credential: str, **fields: Any) -> Any:
    body = {"public_key": KEY, "hostname": "desk-7", "os": "Debian 12", **fields}
    return call("join", credential, body)


def test_the_applet_joins_with_its_credential(technician: Any, settings: Any) -> None:
    from lifebuoy.gateway.tickets import verify_ticket
    from lifebuoy.protocol import verify_key_certificate
    from lifebuoy.site.signing.keys import verification_keys
    from lifebuoy.site.support.models import SupportSession

    session_id, credential = entered(technician)
    response = join(credential)
    assert response.status_code == 200
    body = response.json()
    assert body["participant"] == "customer-1"
    assert body["gateways"] == list(settings.LIFEBUOY.gateway_urls)

    keys = verification_keys()
    ticket = verify_ticket(body["ticket"], keys, time.time())
    assert (ticket.session_id, ticket.role, ticket.participant) == (
        session_id,
        "customer",
        "customer-1",
    )
    certificate = verify_key_certificate(
        base64.b64decode(body["certificate"]), keys, time.time()
    )
    assert certificate.public_key == bytes(range(32))

    session = SupportSession.objects.get(public_id=session_id)
    assert (session.hostname, session.os, session.state) == (
        "desk-7",
        "Debian 12",
        "waiting",
    )
    assert session.joined_at is not None


def test_a_new_join_is_a_new_participant_and_tickets_follow_it(technician: Any) -> None:
    _, credential = entered(technician)
    join(credential)
    assert join(credential).json()["participant"] == "customer-2"
    response = call("ticket", credential)
    assert response.status_code == 200
    assert response.json()["ticket"]


def test_the_credential_expires_for_the_first_join_only(technician: Any) -> None:
    from lifebuoy.site.support.models import SupportSession

    _, credential = entered(technician)
    later = time.time() + 21 * 60
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time", lambda: later)
        refused = join(credential)
    assert refused.status_code == 401
    assert "expired" in refused.json()["error"]

    # Once joined, the same credential keeps working while the session is open.
    _, credential = entered(technician)
    assert join(credential).status_code == 200
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time", lambda: later)
        assert call("ticket", credential).status_code == 200
    SupportSession.objects.update(state="closed")
    assert call("ticket", credential).status_code == 401


def test_the_customer_leaving_closes_the_session_and_kills_the_credential(
    technician: Any,
) -> None:
    from lifebuoy.site.support.models import SupportSession

    session_id, credential = entered(technician)
    join(credential)
    assert call("leave", credential, {"reason": "done"}).json() == {}
    session = SupportSession.objects.get(public_id=session_id)
    assert session.state == "closed"
    assert session.close_reason == "customer ended: done"
    for path in ("ticket", "leave"):
        refused = call(path, credential)
        assert refused.status_code == 401
        assert "ended" in refused.json()["error"]
    assert join(credential).status_code == 401


def test_a_gateway_ticket_or_key_certificate_is_not_a_credential(
    technician: Any,
) -> None:
    from lifebuoy.site.signing.issue import gateway_ticket, key_certificate

    session_id, credential = entered(technician)
    ticket = gateway_ticket(session_id, "customer", "customer-1")
    certificate = base64.urlsafe_b64encode(
        key_certificate(session_id, "customer", "customer-1", bytes(32))
    ).decode()
    for token in (ticket, certificate, credential + "x", credential[:-2], "a.b", ""):
        response = join(token)
        assert response.status_code == 401, token
        assert "error" in response.json()


def test_a_credential_is_not_a_gateway_ticket(technician: Any) -> None:
    from lifebuoy.gateway import TicketInvalid
    from lifebuoy.gateway.tickets import verify_ticket
    from lifebuoy.site.signing.keys import verification_keys

    _, credential = entered(technician)
    with pytest.raises(TicketInvalid):
        verify_ticket(credential, verification_keys(), time.time())


def test_a_credential_signed_by_another_key_is_refused(technician: Any) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from lifebuoy.site.support import credentials

    session_id, good = entered(technician)
    jti = json.loads(base64.urlsafe_b64decode(good.split(".")[0] + "=="))["jti"]
    forger = Ed25519PrivateKey.generate()
    with pytest.MonkeyPatch.context() as patch:
        from lifebuoy.site.signing.keys import current_key

        key_id = current_key()[0]
        patch.setattr(credentials, "current_key", lambda: (key_id, forger))
        forged = credentials.issue_credential(session_id, jti, int(time.time()), 600)
    assert join(forged).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        '{"public_key": 5}',
        {"public_key": "AAAA"},
        {"public_key": base64.b64encode(bytes(33)).decode()},
        {"public_key": "!" * 44},
        {"public_key": KEY, "hostname": "h" * 300},
        {"public_key": KEY, "hostname": ["list"]},
        {"public_key": KEY, "os": {"a": 1}},
        {"public_key": KEY, "os": "nul\x00"},
        '{"public_key": ' + "[" * 5000 + "]" * 5000 + "}",
    ],
)
def test_hostile_join_bodies_get_a_4xx_json_error(technician: Any, body: Any) -> None:
    _, credential = entered(technician)
    response = call("join", credential, body)
    assert 400 <= response.status_code < 500
    assert "error" in response.json()


def test_the_applet_api_needs_a_bearer_credential() -> None:
    for path in ("join", "ticket", "leave"):
        response = call(path, None)
        assert response.status_code == 401
        assert "Bearer" in response.json()["error"]
