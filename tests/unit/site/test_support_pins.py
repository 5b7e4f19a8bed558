"""Support sessions: PINs for technicians, PIN entry for customers, the limits
on both, and the odds of guessing."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db


def logged_in(user: Any) -> Client:
    client = Client(secure=True)
    client.force_login(user)
    session = client.session
    session["lb_auth_at"] = session["lb_last_seen"] = int(time.time())
    session.save()
    return client


def new_pin(client: Client) -> Any:
    return client.post("/api/v1/pins", "{}", content_type="application/json")


def enter(pin: str, ip: str = "198.51.100.7", **fields: str) -> Any:
    client = Client(secure=True, REMOTE_ADDR=ip)
    return client.post("/support/", {"pin": pin, **fields})


def test_the_default_limits_keep_the_odds_of_guessing_a_pin_at_most_1_in_1000() -> None:
    from lifebuoy.site.support.limits import Limits

    rules = Limits()
    assert rules.pin_lifetime_s == 20 * 60
    assert rules.guesses_per_lifetime * rules.live_pins_max <= 1000
    assert rules.guess_odds <= 1 / 1000


def test_a_technician_gets_a_pin_once_and_only_its_hmac_is_stored(
    technician: Any,
) -> None:
    from lifebuoy.site.support.models import Pin, SupportSession

    response = new_pin(logged_in(technician))
    assert response.status_code == 200
    body = response.json()
    assert len(body["pin"]) == 6
    assert body["pin"].isdigit()
    assert body["session_id"].startswith("s_")
    assert len(body["session_id"]) == 24

    session = SupportSession.objects.get(public_id=body["session_id"])
    assert session.state == "waiting"
    assert session.queue_owner == technician
    pin = Pin.objects.get(session=session)
    assert body["pin"] not in pin.digest
    assert len(pin.digest) == 64
    assert pin.expires_at - session.created_at <= timedelta(minutes=20, seconds=1)


def test_only_technicians_get_pins(admin: Any, master_admin: Any) -> None:
    assert new_pin(Client(secure=True)).status_code == 401
    for user in (admin, master_admin):
        response = new_pin(logged_in(user))
        assert response.status_code == 403
        assert "error" in response.json()


def test_pins_need_the_csrf_token(technician: Any) -> None:
    client = Client(secure=True, enforce_csrf_checks=True)
    client.force_login(technician)
    session = client.session
    session["lb_auth_at"] = session["lb_last_seen"] = int(time.time())
    session.save()
    response = new_pin(client)
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]


def test_a_technician_is_limited_to_20_pins_an_hour(technician: Any) -> None:
    client = logged_in(technician)
    for _ in range(20):
        assert new_pin(client).status_code == 200
    refused = new_pin(client)
    assert refused.status_code == 429
    assert "20 PINs" in refused.json()["error"]
    assert int(refused["Retry-After"]) > 0


def test_the_site_caps_live_pins(technician: Any, settings: Any) -> None:
    settings.LIFEBUOY_SUPPORT = {"live_pins_max": 3}
    client = logged_in(technician)
    for _ in range(3):
        assert new_pin(client).status_code == 200
    refused = new_pin(client)
    assert refused.status_code == 429
    assert "3 PINs waiting" in refused.json()["error"]


def test_a_customer_enters_a_pin_once_and_it_is_used_up(technician: Any) -> None:
    from lifebuoy.site.support.models import SupportSession

    body = new_pin(logged_in(technician)).json()
    response = enter(body["pin"], name="Ada", problem="Printer")
    assert response.status_code == 302
    assert response["Location"] == "/support/ready/"
    session = SupportSession.objects.get(public_id=body["session_id"])
    assert session.customer_name == "Ada"
    assert session.entered_at is not None

    again = enter(body["pin"], ip="198.51.100.8")
    assert again.status_code == 404
    assert b"already been used" in again.content


def test_an_expired_pin_gets_a_clear_answer_and_no_session(technician: Any) -> None:
    from lifebuoy.site.support.models import Pin, SupportSession

    body = new_pin(logged_in(technician)).json()
    Pin.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = enter(body["pin"])
    assert response.status_code == 404
    assert b"This PIN has expired" in response.content
    assert not SupportSession.objects.exclude(entered_at=None).exists()


def test_a_wrong_pin_gets_a_clear_answer_and_leaves_no_session(
    technician: Any,
) -> None:
    from lifebuoy.site.support.models import SupportSession

    body = new_pin(logged_in(technician)).json()
    wrong = f"{(int(body['pin']) + 1) % 10**6:06d}"
    response = enter(wrong)
    assert response.status_code == 404
    assert b"No support session has this PIN" in response.content
    assert SupportSession.objects.count() == 1
    assert not SupportSession.objects.exclude(entered_at=None).exists()


@pytest.mark.parametrize(
    "typed", ["", "12345", "1234567", "abcdef", "\uff11\uff12\uff13\uff14\uff15\uff16"]
)
def test_a_malformed_pin_asks_for_six_digits(typed: str) -> None:
    response = enter(typed)
    assert response.status_code == 400
    assert b"six digits" in response.content


def test_five_wrong_pins_from_one_address_ask_it_to_wait(technician: Any) -> None:
    body = new_pin(logged_in(technician)).json()
    wrong = f"{(int(body['pin']) + 1) % 10**6:06d}"
    for _ in range(5):
        assert enter(wrong).status_code == 404
    refused = enter(body["pin"])
    assert refused.status_code == 429
    assert b"Please wait 10 minutes" in refused.content
    # Another address is not affected.
    assert enter(body["pin"], ip="203.0.113.9").status_code == 302


def test_100_rapid_guesses_from_many_addresses_pause_pin_entry_for_everyone(
    technician: Any,
) -> None:
    from lifebuoy.site.support.limits import Limits
    from lifebuoy.site.support.models import SupportSession

    body = new_pin(logged_in(technician)).json()
    statuses = []
    for number in range(100):
        guess = f"{(int(body['pin']) + 1 + number) % 10**6:06d}"
        statuses.append(
            enter(guess, ip=f"10.0.{number // 4}.{number % 4 + 1}").status_code
        )
    budget = Limits().site_wrong_guesses
    assert statuses[:budget] == [404] * budget
    assert set(statuses[budget:]) == {429}

    # The right PIN now waits too, and says so; no session was entered.
    refused = enter(body["pin"], ip="192.0.2.50")
    assert refused.status_code == 429
    assert b"on this site" in refused.content
    assert b"Please wait" in refused.content
    assert not SupportSession.objects.exclude(entered_at=None).exists()


def test_a_pin_session_that_nobody_entered_closes_when_the_pin_expires(
    technician: Any,
) -> None:
    from lifebuoy.site.support.models import Pin, SupportSession

    client = logged_in(technician)
    body = new_pin(client).json()
    assert [s["id"] for s in client.get("/api/v1/queue").json()["sessions"]] == [
        body["session_id"]
    ]
    Pin.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/queue").json()["sessions"] == []
    session = SupportSession.objects.get()
    assert session.state == "closed"
    assert session.close_reason == "PIN expired"


def test_pin_answers_are_json(technician: Any) -> None:
    response = new_pin(logged_in(technician))
    assert response["Content-Type"] == "application/json"
    json.loads(response.content)
