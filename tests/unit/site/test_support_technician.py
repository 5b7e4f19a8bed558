"""Support sessions: queue, pickup, tickets, hold, transfer and close."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

KEY = base64.b64encode(bytes(range(32))).decode()


def logged_in(user: Any) -> Client:
    client = Client(secure=True)
    client.force_login(user)
    session = client.session
    session["lb_auth_at"] = session["lb_last_seen"] = int(time.time())
    session.save()
    return client


def post(client: Client, path: str, body: Any = None) -> Any:
    data = json.dumps(body if body is not None else {})
    return client.post(f"/api/v1{path}", data, content_type="application/json")


def joined_pin_session(technician: Any) -> str:
    from lifebuoy.site.support.applet import join
    from lifebuoy.site.support.pins import create_pin, redeem_pin

    _, digits, _ = create_pin(technician, None)
    session, _ = redeem_pin(digits, None, "Ada", "Printer")
    join(session, bytes(32), "desk-7", "Debian 12")
    return session.public_id


def joined_group_session(group: Any) -> str:
    from lifebuoy.site.support.applet import join
    from lifebuoy.site.support.entry import enter_by_channel
    from lifebuoy.site.support.models import ChannelLink

    link, _ = ChannelLink.objects.get_or_create(group=group)
    session, _ = enter_by_channel(link.token, None, "Bob", "Mail")
    join(session, bytes(32), "laptop", "Windows 11")
    return session.public_id


def make(organization: Any, email: str, group: Any) -> Any:
    from lifebuoy.site.accounts.models import User

    return User.objects.create_user(
        email,
        "x" * 16,
        organization=organization,
        name=email,
        role="technician",
        group=group,
    )


@pytest.fixture
def others(organization: Any, group: Any) -> dict[str, Any]:
    from lifebuoy.site.accounts.models import Organization, TechnicianGroup

    elsewhere = TechnicianGroup.objects.create(organization=organization, name="Field")
    other_org = Organization.objects.create(name="Globex")
    other_org_group = TechnicianGroup.objects.create(
        organization=other_org, name="Desk"
    )
    return {
        "colleague": make(organization, "carl@acme.test", group),
        "other_group": make(organization, "dina@acme.test", elsewhere),
        "other_org": make(other_org, "eve@globex.test", other_org_group),
        "elsewhere": elsewhere,
    }


def test_a_private_session_is_picked_up_only_by_its_technician(
    technician: Any, others: dict[str, Any]
) -> None:
    from lifebuoy.site.support.models import SupportSession

    session_id = joined_pin_session(technician)
    for name in ("colleague", "other_group", "other_org"):
        client = logged_in(others[name])
        assert client.get("/api/v1/queue").json()["sessions"] == [], name
        refused = post(client, f"/sessions/{session_id}/pickup", {"public_key": KEY})
        assert refused.status_code == 404, name
        assert "error" in refused.json()

    response = post(
        logged_in(technician), f"/sessions/{session_id}/pickup", {"public_key": KEY}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["participant"] == f"technician-{technician.pk}"
    assert body["session"]["state"] == "active"
    assert body["session"]["customer_name"] == "Ada"
    assert body["signing_keys"]
    assert body["ticket"]
    assert body["certificate"]
    assert SupportSession.objects.get().technician == technician


def test_a_group_session_is_seen_and_picked_up_by_its_group_only(
    technician: Any, group: Any, others: dict[str, Any]
) -> None:
    session_id = joined_group_session(group)
    queue = logged_in(others["colleague"]).get("/api/v1/queue").json()["sessions"]
    assert [s["id"] for s in queue] == [session_id]
    assert queue[0]["queue"] == "group"
    assert queue[0]["hostname"] == "laptop"
    for name in ("other_group", "other_org"):
        client = logged_in(others[name])
        refused = post(client, f"/sessions/{session_id}/pickup", {"public_key": KEY})
        assert refused.status_code == 404, name

    assert (
        post(
            logged_in(technician), f"/sessions/{session_id}/pickup", {"public_key": KEY}
        ).status_code
        == 200
    )
    # Once taken, it leaves the colleague's queue and they cannot take it.
    colleague = logged_in(others["colleague"])
    assert colleague.get("/api/v1/queue").json()["sessions"] == []
    assert (
        post(
            colleague, f"/sessions/{session_id}/pickup", {"public_key": KEY}
        ).status_code
        == 404
    )


def test_a_channel_session_shows_in_the_queue_only_once_the_applet_joined(
    technician: Any, group: Any
) -> None:
    from lifebuoy.site.support.entry import enter_by_channel
    from lifebuoy.site.support.models import ChannelLink

    link = ChannelLink.objects.create(group=group)
    enter_by_channel(link.token, None, "", "")
    assert logged_in(technician).get("/api/v1/queue").json()["sessions"] == []


def test_administrators_cannot_use_the_technician_api(
    admin: Any, technician: Any
) -> None:
    session_id = joined_pin_session(technician)
    client = logged_in(admin)
    assert client.get("/api/v1/queue").status_code == 403
    assert (
        post(client, f"/sessions/{session_id}/pickup", {"public_key": KEY}).status_code
        == 403
    )


@pytest.mark.parametrize(
    "key", [None, 5, "AAAA", "!!!!", base64.b64encode(bytes(31)).decode()]
)
def test_pickup_needs_a_32_byte_public_key(technician: Any, key: Any) -> None:
    session_id = joined_pin_session(technician)
    response = post(
        logged_in(technician), f"/sessions/{session_id}/pickup", {"public_key": key}
    )
    assert response.status_code == 400
    assert "public_key" in response.json()["error"]


def test_pickup_is_audited(technician: Any) -> None:
    from lifebuoy.site.audit.models import AuditEvent

    session_id = joined_pin_session(technician)
    post(logged_in(technician), f"/sessions/{session_id}/pickup", {"public_key": KEY})
    event = AuditEvent.objects.get(action="support.pickup")
    assert event.target == session_id
    assert event.actor_id == technician.pk


def test_hold_and_unhold(technician: Any) -> None:
    client = logged_in(technician)
    session_id = joined_pin_session(technician)
    assert (
        post(client, f"/sessions/{session_id}/hold", {"on_hold": True}).status_code
        == 409
    )
    post(client, f"/sessions/{session_id}/pickup", {"public_key": KEY})
    held = post(client, f"/sessions/{session_id}/hold", {"on_hold": True})
    assert held.json()["session"]["state"] == "on_hold"
    assert post(client, f"/sessions/{session_id}/ticket").status_code == 200
    back = post(client, f"/sessions/{session_id}/hold", {"on_hold": False})
    assert back.json()["session"]["state"] == "active"
    assert (
        post(client, f"/sessions/{session_id}/hold", {"on_hold": "yes"}).status_code
        == 400
    )


def test_a_transfer_to_a_technician_moves_tickets_and_the_log(
    technician: Any, others: dict[str, Any]
) -> None:
    from lifebuoy.site.audit.models import AuditEvent

    mine = logged_in(technician)
    session_id = joined_pin_session(technician)
    post(mine, f"/sessions/{session_id}/pickup", {"public_key": KEY})
    target = others["other_group"]
    body = {
        "technician": target.email.upper(),
        "group": None,
        "note": "needs <b>admin</b>",
    }
    moved = post(mine, f"/sessions/{session_id}/transfer", body)
    assert moved.status_code == 200
    assert moved.json()["session"]["state"] == "waiting"
    assert moved.json()["session"]["note"] == "needs <b>admin</b>"

    # The previous technician can no longer get tickets.
    assert post(mine, f"/sessions/{session_id}/ticket").status_code == 404
    theirs = logged_in(target)
    assert [s["id"] for s in theirs.get("/api/v1/queue").json()["sessions"]] == [
        session_id
    ]
    log = theirs.get(f"/api/v1/sessions/{session_id}/log").json()["events"]
    assert [e["kind"] for e in log] == ["pickup", "transfer"]
    assert (
        post(theirs, f"/sessions/{session_id}/pickup", {"public_key": KEY}).status_code
        == 200
    )
    assert post(theirs, f"/sessions/{session_id}/ticket").status_code == 200
    assert AuditEvent.objects.filter(
        action="support.transfer", target=session_id
    ).exists()


def test_a_transfer_to_a_group_lands_in_its_shared_queue(
    technician: Any, others: dict[str, Any]
) -> None:
    mine = logged_in(technician)
    session_id = joined_pin_session(technician)
    post(mine, f"/sessions/{session_id}/pickup", {"public_key": KEY})
    body = {"technician": None, "group": others["elsewhere"].pk, "note": ""}
    assert post(mine, f"/sessions/{session_id}/transfer", body).status_code == 200
    queue = logged_in(others["other_group"]).get("/api/v1/queue").json()["sessions"]
    assert [s["id"] for s in queue] == [session_id]
    assert queue[0]["group"] == others["elsewhere"].pk
    assert logged_in(others["colleague"]).get("/api/v1/queue").json()["sessions"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"technician": None, "group": None, "note": ""},
        {"technician": "a@b.test", "group": 1, "note": ""},
        {"technician": "eve@globex.test", "group": None, "note": ""},
        {"technician": "nobody@acme.test", "group": None, "note": ""},
        {"technician": None, "group": "1", "note": ""},
        {"technician": None, "group": 10**30, "note": ""},
        {"technician": None, "group": 1, "note": "n" * 5000},
        {"technician": ["x"], "group": None, "note": ""},
    ],
)
def test_bad_transfers_are_refused(
    technician: Any, others: dict[str, Any], body: dict[str, Any]
) -> None:
    mine = logged_in(technician)
    session_id = joined_pin_session(technician)
    post(mine, f"/sessions/{session_id}/pickup", {"public_key": KEY})
    response = post(mine, f"/sessions/{session_id}/transfer", body)
    assert response.status_code in (400, 404)
    assert "error" in response.json()


def test_another_organizations_group_is_not_a_transfer_target(
    technician: Any, others: dict[str, Any]
) -> None:
    mine = logged_in(technician)
    session_id = joined_pin_session(technician)
    post(mine, f"/sessions/{session_id}/pickup", {"public_key": KEY})
    foreign = others["other_org"].group_id
    body = {"technician": None, "group": foreign, "note": ""}
    assert post(mine, f"/sessions/{session_id}/transfer", body).status_code == 404


def test_closing_ends_tickets_and_is_audited(technician: Any) -> None:
    from lifebuoy.site.audit.models import AuditEvent

    client = logged_in(technician)
    session_id = joined_pin_session(technician)
    post(client, f"/sessions/{session_id}/pickup", {"public_key": KEY})
    closed = post(client, f"/sessions/{session_id}/close", {"reason": "solved"})
    assert closed.status_code == 200
    assert closed.json()["session"]["state"] == "closed"
    assert post(client, f"/sessions/{session_id}/ticket").status_code == 404
    assert (
        post(client, f"/sessions/{session_id}/pickup", {"public_key": KEY}).status_code
        == 404
    )
    assert client.get("/api/v1/queue").json()["sessions"] == []
    event = AuditEvent.objects.get(action="support.close")
    assert event.detail == {"reason": "solved"}


def test_a_colleague_cannot_close_a_session_they_do_not_hold(
    technician: Any, group: Any, others: dict[str, Any]
) -> None:
    session_id = joined_group_session(group)
    refused = post(
        logged_in(others["colleague"]), f"/sessions/{session_id}/close", {"reason": ""}
    )
    assert refused.status_code == 409


def test_unknown_and_overlong_session_ids_are_404(technician: Any) -> None:
    client = logged_in(technician)
    for session_id in ("s_nope", "s_" + "x" * 300):
        assert (
            post(
                client, f"/sessions/{session_id}/pickup", {"public_key": KEY}
            ).status_code
            == 404
        )
        assert client.get(f"/api/v1/sessions/{session_id}/log").status_code == 404
