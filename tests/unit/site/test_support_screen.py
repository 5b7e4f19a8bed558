"""Remote view and control on the site: the session policy at pickup and the
screen events of the session log (docs/screen.md)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.test import Client

from lifebuoy.protocol import verify_policy

pytestmark = pytest.mark.django_db

KEY = base64.b64encode(bytes(range(32))).decode()
HOSTILE = "<script>alert(1)</script>"


def logged_in(user: Any) -> Client:
    client = Client(secure=True)
    client.force_login(user)
    session = client.session
    session["lb_auth_at"] = session["lb_last_seen"] = int(time.time())
    session.save()
    return client


def post(client: Client, path: str, body: Any) -> Any:
    data = json.dumps(body)
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


def pick_up(client: Client, session_id: str) -> dict[str, Any]:
    response = post(client, f"/sessions/{session_id}/pickup", {"public_key": KEY})
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def site_keys(answer: dict[str, Any]) -> dict[str, Ed25519PublicKey]:
    return {
        key_id: Ed25519PublicKey.from_public_bytes(base64.b64decode(raw))
        for key_id, raw in answer["signing_keys"].items()
    }


def screen(kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "at": "2026-01-02T03:04:05+00:00",
        "actor": "Taylor Tech",
        **fields,
    }


def send(client: Client, session_id: str, events: Any) -> Any:
    return post(client, f"/sessions/{session_id}/events", {"events": events})


# -- the session policy at pickup ------------------------------------------------


def test_pickup_policy_verifies_with_the_published_keys(technician: Any) -> None:
    client = logged_in(technician)
    session_id = joined_pin_session(technician)

    answer = pick_up(client, session_id)
    policy = verify_policy(answer["policy"], site_keys(answer), time.time())

    assert policy.session_id == session_id
    assert (
        policy.participant_id == answer["participant"] == f"technician-{technician.pk}"
    )
    assert policy.allow == {"view", "control"}
    assert policy.single_prompt is False
    assert 11 * 3600 < policy.expires_at - policy.issued_at <= 12 * 3600

    # The published keys from the public endpoint verify it too.
    published = Client(secure=True).get("/api/v1/signing-keys").json()["keys"]
    keys = site_keys({"signing_keys": published})
    assert verify_policy(answer["policy"], keys, time.time()) == policy


@pytest.mark.parametrize(
    ("viewing", "control", "single", "allow"),
    [
        (True, False, False, {"view"}),
        (False, False, True, set()),
        (True, True, True, {"view", "control"}),
    ],
)
def test_pickup_policy_carries_the_group_permissions(
    technician: Any, group: Any, viewing: bool, control: bool, single: bool, allow: Any
) -> None:
    group.desktop_viewing, group.remote_control = viewing, control
    group.single_prompt = single
    group.save()
    client = logged_in(technician)

    answer = pick_up(client, joined_pin_session(technician))
    policy = verify_policy(answer["policy"], site_keys(answer), time.time())

    assert policy.allow == allow
    assert policy.single_prompt is single
    assert policy.allows("control") is (viewing and control)


def test_a_group_queue_session_carries_that_groups_permissions(
    technician: Any, group: Any
) -> None:
    group.remote_control = False
    group.save()
    client = logged_in(technician)

    answer = pick_up(client, joined_group_session(group))
    policy = verify_policy(answer["policy"], site_keys(answer), time.time())

    assert policy.allow == {"view"}


def test_a_technician_without_a_group_may_only_chat(technician: Any) -> None:
    from lifebuoy.site.support.technician import screen_permissions

    technician.group = None
    assert screen_permissions(technician) == (frozenset(), False)


def test_picking_up_again_issues_a_policy_with_the_new_permissions(
    technician: Any, group: Any
) -> None:
    client = logged_in(technician)
    session_id = joined_pin_session(technician)
    first = pick_up(client, session_id)
    group.remote_control = False
    group.save()

    again = pick_up(client, session_id)

    keys = site_keys(again)
    assert verify_policy(first["policy"], keys, time.time()).allows("control")
    assert not verify_policy(again["policy"], keys, time.time()).allows("control")


# -- screen events in the session log -----------------------------------------------


GOOD = [
    screen("screen.request", what="control", by="technician"),
    screen("screen.request", what="view"),
    screen("screen.answer", what="control", allowed=True, by="customer"),
    screen("screen.answer", what="view", allowed=False, by="timeout"),
    screen("screen.answer", what="view", allowed=True, by="policy", reason=""),
    screen("screen.start", what="control"),
    screen("screen.stop", what="control", by="customer"),
    screen("screen.refused", what="control", by="policy", reason="control was stopped"),
]


def test_screen_events_are_stored_and_read_back(technician: Any) -> None:
    client = logged_in(technician)
    session_id = pick_up(client, joined_pin_session(technician))["session"]["id"]

    assert send(client, session_id, GOOD).json() == {"stored": 8, "duplicates": 0}

    log = client.get(f"/api/v1/sessions/{session_id}/log").json()["events"]
    screen_log = [e for e in log if e["kind"].startswith("screen.")]
    assert len(screen_log) == 8
    answer = next(e for e in screen_log if e["kind"] == "screen.answer")
    assert (answer["what"], answer["allowed"], answer["by"]) == (
        "control",
        True,
        "customer",
    )
    refused = screen_log[-1]
    assert refused["reason"] == refused["text"] == "control was stopped"
    assert "allowed" not in refused


@pytest.mark.parametrize(
    "bad",
    [
        screen("screen.request"),
        screen("screen.request", what="files"),
        screen("screen.request", what=["control"]),
        screen("screen.request", what="control", by="root"),
        screen("screen.request", what="control", allowed=True),
        screen("screen.answer", what="control", by="customer"),
        screen("screen.answer", what="control", allowed="yes", by="customer"),
        screen("screen.answer", what="control", allowed=1, by="customer"),
        screen("screen.answer", what="control", allowed=True),
        screen("screen.answer", what="control", allowed=True, by="technician"),
        screen("screen.answer", what="control", allowed=True, by="timeout"),
        screen("screen.stop", what="control"),
        screen("screen.refused", what="control"),
        screen("screen.stop", what="control", by="customer", reason="x" * 201),
        screen("screen.stop", what="control", by="customer", reason=5),
        screen("screen.stop", what="control", by="customer", reason="a\x00b"),
        screen("screen.start", what="view", text="smuggled"),
        screen("screen.beep", what="view"),
        screen("chat.customer", text="hi", what="view"),
        screen("chat.customer", text="hi", reason="none"),
    ],
)
def test_hostile_screen_events_are_refused_and_nothing_is_stored(
    technician: Any, bad: dict[str, Any]
) -> None:
    from lifebuoy.site.support.models import SessionEvent

    client = logged_in(technician)
    session_id = pick_up(client, joined_pin_session(technician))["session"]["id"]
    before = SessionEvent.objects.count()

    response = send(client, session_id, [GOOD[0], bad])

    assert response.status_code == 400
    assert response.json()["error"].startswith("events[1]")
    assert SessionEvent.objects.count() == before


def test_log_pages_show_readable_screen_lines(
    technician: Any, master_admin: Any
) -> None:
    client = logged_in(technician)
    session_id = pick_up(client, joined_pin_session(technician))["session"]["id"]
    send(client, session_id, GOOD)

    for viewer, url in (
        (client, f"/console/sessions/{session_id}/"),
        (logged_in(master_admin), f"/admin-center/sessions/{session_id}/"),
    ):
        page = viewer.get(url).content.decode()
        for line in (
            "Requested control",
            "Requested viewing",
            "Customer allowed control",
            "Viewing denied: the customer did not answer",
            "Viewing allowed by the session policy",
            "Control started",
            "Control stopped by the customer",
            "Input refused: control was stopped",
        ):
            assert line in page, (url, line)


def test_screen_reasons_are_escaped_on_the_log_pages(
    technician: Any, master_admin: Any
) -> None:
    client = logged_in(technician)
    session_id = pick_up(client, joined_pin_session(technician))["session"]["id"]
    hostile = screen("screen.stop", what="view", by="customer", reason=HOSTILE)
    assert send(client, session_id, [hostile]).status_code == 200

    for viewer, url in (
        (client, f"/console/sessions/{session_id}/"),
        (logged_in(master_admin), f"/admin-center/sessions/{session_id}/"),
    ):
        page = viewer.get(url).content.decode()
        assert HOSTILE not in page
        assert "Viewing stopped by the customer: &lt;script&gt;alert(1)" in page
