"""Support sessions: the stored log, its encryption, and the log pages."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db

MARKER = "chat-marker-7f3a9c"
HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def logged_in(user: Any) -> Client:
    client = Client(secure=True)
    client.force_login(user)
    session = client.session
    session["lb_auth_at"] = session["lb_last_seen"] = int(time.time())
    session.save()
    return client


def picked_up(technician: Any, name: str = "Ada") -> str:
    from lifebuoy.site.support.applet import join
    from lifebuoy.site.support.pins import create_pin, redeem_pin
    from lifebuoy.site.support.technician import Actor, pickup

    _, digits, _ = create_pin(technician, None)
    session, _ = redeem_pin(digits, None, name, name)
    join(session, bytes(32), name, name)
    pickup(Actor(technician, None), session.public_id, bytes(32))
    return session.public_id


def event(
    text: str = MARKER, kind: str = "chat.customer", **extra: Any
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "at": "2026-01-02T03:04:05+00:00",
        "actor": "customer-1",
        "text": text,
        **extra,
    }


def make_user(organization: Any, email: str, group: Any) -> Any:
    from lifebuoy.site.accounts.models import User

    return User.objects.create_user(
        email,
        "x" * 16,
        organization=organization,
        name=email,
        role="technician",
        group=group,
    )


def send(client: Client, session_id: str, events: Any) -> Any:
    return client.post(
        f"/api/v1/sessions/{session_id}/events",
        json.dumps({"events": events}),
        content_type="application/json",
    )


def test_events_are_stored_once_per_id(technician: Any) -> None:
    client = logged_in(technician)
    session_id = picked_up(technician)
    batch = [event(), event(kind="chat.technician", text="hello")]
    assert send(client, session_id, batch).json() == {"stored": 2, "duplicates": 0}
    assert send(client, session_id, [*batch, batch[0]]).json() == {
        "stored": 0,
        "duplicates": 3,
    }
    log = client.get(f"/api/v1/sessions/{session_id}/log").json()["events"]
    assert [e["text"] for e in log if e["kind"].startswith("chat")] == [MARKER, "hello"]


def test_chat_text_is_encrypted_in_the_database(technician: Any) -> None:
    client = logged_in(technician)
    session_id = picked_up(technician)
    send(client, session_id, [event()])
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM support_sessionevent")
        stored = " ".join(row[0] for row in cursor.fetchall())
        cursor.execute(
            "SELECT customer_name, problem, hostname FROM support_supportsession"
        )
        customer = " ".join(" ".join(row) for row in cursor.fetchall())
    assert MARKER not in stored
    assert "lbv1$" in stored
    assert "Ada" not in customer


def test_without_the_organization_option_chat_is_stored_without_text(
    technician: Any,
) -> None:
    from lifebuoy.site.support.models import SessionEvent, SupportSettings

    SupportSettings.objects.create(
        organization=technician.organization, store_chat_text=False
    )
    client = logged_in(technician)
    session_id = picked_up(technician)
    send(client, session_id, [event(), event(kind="request", text="view screen")])
    texts = {e.kind: e.text for e in SessionEvent.objects.all()}
    assert texts["chat.customer"] == ""
    assert texts["request"] == "view screen"


@pytest.mark.parametrize(
    "events",
    [
        "nope",
        [5],
        [{"id": "not-a-uuid", "kind": "chat.customer", "at": "2026-01-01T00:00:00Z"}],
        [event(kind="shout")],
        [event(at="yesterday")],
        [event(at="2026-01-01T00:00:00")],
        [event(text="x" * 10_001)],
        [event(text=["list"])],
        [event(actor="a" * 500)],
        [event() for _ in range(201)],
    ],
)
def test_bad_batches_are_refused_whole(technician: Any, events: Any) -> None:
    from lifebuoy.site.support.models import SessionEvent

    client = logged_in(technician)
    session_id = picked_up(technician)
    before = SessionEvent.objects.count()
    response = send(client, session_id, events)
    assert response.status_code == 400
    assert "error" in response.json()
    assert SessionEvent.objects.count() == before


def test_only_the_technician_who_has_the_session_posts_events(
    technician: Any, admin: Any
) -> None:
    session_id = picked_up(technician)
    colleague = make_user(technician.organization, "carl@acme.test", technician.group)
    assert send(logged_in(colleague), session_id, [event()]).status_code == 404
    assert send(logged_in(admin), session_id, [event()]).status_code == 403


def test_the_organization_option_is_on_the_settings_page(master_admin: Any) -> None:
    from lifebuoy.site.support.models import store_chat_text

    client = logged_in(master_admin)
    page = client.get("/admin-center/organization/").content.decode()
    assert "Store chat text in session logs" in page
    assert "checked" in page
    response = client.post("/admin-center/organization/support/", {})
    assert response.status_code == 302
    assert store_chat_text(master_admin.organization_id) is False
    client.post("/admin-center/organization/support/", {"store_chat_text": "on"})
    assert store_chat_text(master_admin.organization_id) is True


def test_only_master_admins_change_the_option(admin: Any) -> None:
    response = logged_in(admin).post("/admin-center/organization/support/", {})
    assert response.status_code == 403


@pytest.mark.parametrize("hostile", HOSTILE)
def test_log_pages_show_customer_text_as_text(
    technician: Any, master_admin: Any, hostile: str
) -> None:
    client = logged_in(technician)
    session_id = picked_up(technician, hostile)
    send(client, session_id, [event(text=hostile)])
    for viewer, url in (
        (client, f"/console/sessions/{session_id}/"),
        (logged_in(master_admin), f"/admin-center/sessions/{session_id}/"),
        (logged_in(master_admin), "/admin-center/sessions/"),
        (client, "/console/sessions/"),
    ):
        page = viewer.get(url).content.decode()
        assert hostile not in page, url
        assert "alert(1)" in page, url


def test_admins_see_the_sessions_of_groups_they_manage_only(
    technician: Any, admin: Any, organization: Any
) -> None:
    from lifebuoy.site.accounts.models import TechnicianGroup, User

    other = TechnicianGroup.objects.create(organization=organization, name="Field")
    outsider = User.objects.create_user(
        "olly@acme.test",
        "x" * 16,
        organization=organization,
        name="Olly",
        role="technician",
        group=other,
    )
    mine, theirs = picked_up(technician, "Mine"), picked_up(outsider, "Theirs")
    client = logged_in(admin)
    listing = client.get("/admin-center/sessions/").content.decode()
    assert mine in listing
    assert theirs not in listing
    assert client.get(f"/admin-center/sessions/{theirs}/").status_code == 404
    assert client.get(f"/admin-center/sessions/{mine}/").status_code == 200


def test_a_technician_sees_only_their_own_history(
    technician: Any, organization: Any
) -> None:
    session_id = picked_up(technician)
    colleague = make_user(organization, "carl@acme.test", technician.group)
    assert (
        logged_in(colleague).get(f"/console/sessions/{session_id}/").status_code == 404
    )
    empty = logged_in(colleague).get("/console/sessions/").content.decode()
    assert "You have not had any support sessions yet" in empty
    page = (
        logged_in(technician).get(f"/console/sessions/{session_id}/").content.decode()
    )
    assert "Session log" in page
    assert "pickup" in page


def test_the_admin_center_menu_links_to_session_logs(admin: Any) -> None:
    page = logged_in(admin).get("/admin-center/sessions/").content.decode()
    assert 'href="/admin-center/sessions/" aria-current="page"' in page
    assert "No support sessions have been held" in page
