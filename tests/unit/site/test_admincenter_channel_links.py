"""Administration Center: a technician group's channel link."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
NO_LONGER_ACTIVE = (
    "This support link is no longer active. Ask your technician for a new one or a PIN."
)


def logged_in(user: Any) -> Client:
    client = Client(secure=True)
    client.force_login(user)
    session = client.session
    session["lb_auth_at"] = session["lb_last_seen"] = int(time.time())
    session.save()
    return client


def events(action: str) -> Any:
    from lifebuoy.site.audit.models import AuditEvent

    return AuditEvent.objects.filter(action=action)


def make_link(group: Any, **fields: Any) -> Any:
    from lifebuoy.site.support.models import ChannelLink

    return ChannelLink.objects.create(group=group, **fields)


def urls(group: Any, link: Any) -> dict[str, str]:
    base = f"/admin-center/groups/{group.pk}/channel-links/"
    return {
        "create": base,
        "enabled": f"{base}{link.pk}/enabled/",
        "replace": f"{base}{link.pk}/replace/",
    }


def other_organizations_group() -> Any:
    from lifebuoy.site.accounts.models import Organization, TechnicianGroup

    other = Organization.objects.create(name="Globex")
    return TechnicianGroup.objects.create(organization=other, name="Their desk")


def start_session(token: str) -> Any:
    return Client(secure=True).post(f"/support/c/{token}/", {"name": "Bob"})


# The group page


def test_a_group_without_a_link_offers_to_create_one(admin: Any, group: Any) -> None:
    page = logged_in(admin).get(f"/admin-center/groups/{group.pk}/").content.decode()
    assert "This group has no channel link yet." in page
    assert f'action="/admin-center/groups/{group.pk}/channel-links/"' in page
    assert "Create a channel link" in page


def test_the_group_page_shows_the_full_link_and_its_state(
    admin: Any, group: Any, settings: Any
) -> None:
    link = make_link(group)
    page = logged_in(admin).get(f"/admin-center/groups/{group.pk}/").content.decode()
    url = f"{settings.LIFEBUOY.public_url}/support/c/{link.token}/"
    assert re.search(
        rf'<input type="text" [^>]*value="{re.escape(url)}" readonly', page
    )
    assert "Enabled" in page
    assert "Disable link" in page
    assert "The current link stops working at once" in page
    assert "Create a channel link" not in page
    assert "<script>" not in page
    assert " style=" not in page


def test_the_group_page_counts_sessions_started_from_the_link(
    admin: Any, group: Any, technician: Any
) -> None:
    from lifebuoy.site.support.models import EventKind, SessionEvent, SupportSession

    link = make_link(group)
    for _ in range(3):
        assert start_session(link.token).status_code == 302
    moved = SupportSession.objects.first()
    assert moved is not None
    SessionEvent.objects.create(
        session=moved,
        organization=group.organization,
        kind=EventKind.TRANSFER,
        at=moved.created_at,
    )

    # A PIN session in the group's queue did not come from the link.
    client = logged_in(technician)
    pin = client.post("/api/v1/pins", {}, "application/json").json()
    SupportSession.objects.filter(public_id=pin["session_id"]).update(
        queue_owner=None, queue_group=group
    )

    page = logged_in(admin).get(f"/admin-center/groups/{group.pk}/").content.decode()
    assert "2 started from this link" in page


def test_a_disabled_group_says_its_link_does_not_work(admin: Any, group: Any) -> None:
    make_link(group)
    group.enabled = False
    group.save()
    page = logged_in(admin).get(f"/admin-center/groups/{group.pk}/").content.decode()
    assert "This group is disabled, so its channel link does not work." in page


# Changes


def test_an_administrator_creates_a_link_and_it_is_audited(
    admin: Any, group: Any
) -> None:
    from lifebuoy.site.support.models import ChannelLink

    response = logged_in(admin).post(
        f"/admin-center/groups/{group.pk}/channel-links/", REMOTE_ADDR="198.51.100.4"
    )
    assert response.status_code == 302
    assert response["Location"] == f"/admin-center/groups/{group.pk}/"
    link = ChannelLink.objects.get(group=group)
    assert link.enabled

    event = events("channel_link.create").get()
    assert (event.actor, event.target, event.ip) == (
        "alex@acme.test",
        "Help desk",
        "198.51.100.4",
    )
    assert event.detail == {"group_id": group.pk, "channel_link_id": link.pk}
    assert start_session(link.token).status_code == 302


def test_a_second_link_is_not_made(admin: Any, group: Any) -> None:
    from lifebuoy.site.support.models import ChannelLink

    client = logged_in(admin)
    url = f"/admin-center/groups/{group.pk}/channel-links/"
    client.post(url)
    response = client.post(url, follow=True)
    assert "The group Help desk already has a channel link." in (
        response.content.decode()
    )
    assert ChannelLink.objects.filter(group=group).count() == 1
    assert events("channel_link.create").count() == 1


def test_disabling_and_enabling_a_link(admin: Any, group: Any) -> None:
    link = make_link(group)
    client = logged_in(admin)
    url = urls(group, link)["enabled"]

    assert client.post(url, {"enabled": "0"}).status_code == 302
    link.refresh_from_db()
    assert not link.enabled
    page = client.get(f"/admin-center/groups/{group.pk}/").content.decode()
    assert "Disabled" in page
    assert "Enable link" in page

    assert client.post(url, {"enabled": "1"}).status_code == 302
    link.refresh_from_db()
    assert link.enabled

    # Asking for the state it is already in changes nothing and records nothing.
    assert client.post(url, {"enabled": "1"}).status_code == 302
    assert events("channel_link.disable").count() == 1
    assert events("channel_link.enable").count() == 1
    assert client.post(url, {"enabled": "maybe"}).status_code == 400


def test_replacing_a_link_gives_a_new_token_and_is_audited(
    admin: Any, group: Any, settings: Any
) -> None:
    link = make_link(group)
    old = link.token
    client = logged_in(admin)
    response = client.post(urls(group, link)["replace"], follow=True)
    link.refresh_from_db()
    assert link.token != old
    assert link.enabled

    page = response.content.decode()
    assert "The old link no longer works" in page
    assert f"/support/c/{link.token}/" in page
    assert old not in page

    event = events("channel_link.rotate").get()
    assert event.detail == {"group_id": group.pk, "channel_link_id": link.pk}


def test_the_token_stays_out_of_the_audit_log(admin: Any, group: Any) -> None:
    from lifebuoy.site.support.models import ChannelLink

    client = logged_in(admin)
    client.post(f"/admin-center/groups/{group.pk}/channel-links/")
    link = ChannelLink.objects.get(group=group)
    old = link.token
    client.post(urls(group, link)["enabled"], {"enabled": "0"})
    client.post(urls(group, link)["replace"])
    link.refresh_from_db()

    for event in events("channel_link.create") | events("channel_link.rotate"):
        text = f"{event.target} {event.detail}"
        assert old not in text
        assert link.token not in text


# Who may


@pytest.mark.parametrize("action", ["enabled", "replace"])
def test_a_master_administrator_manages_every_groups_link(
    master_admin: Any, group: Any, action: str
) -> None:
    link = make_link(group)
    client = logged_in(master_admin)
    assert client.post(urls(group, link)[action], {"enabled": "0"}).status_code == 302


def test_technicians_are_refused(technician: Any, group: Any) -> None:
    link = make_link(group)
    client = logged_in(technician)
    for url in urls(group, link).values():
        assert client.post(url, {"enabled": "0"}).status_code == 403
    link.refresh_from_db()
    assert link.enabled


def test_without_a_login_nothing_changes(group: Any) -> None:
    link = make_link(group)
    for url in urls(group, link).values():
        response = Client(secure=True).post(url, {"enabled": "0"})
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    link.refresh_from_db()
    assert link.enabled


def test_an_administrator_cannot_reach_a_group_they_do_not_manage(
    admin: Any, group: Any
) -> None:
    from lifebuoy.site.accounts.models import TechnicianGroup

    elsewhere = TechnicianGroup.objects.create(
        organization=group.organization, name="Sales"
    )
    link = make_link(elsewhere)
    old = link.token
    client = logged_in(admin)
    for url in urls(elsewhere, link).values():
        assert client.post(url, {"enabled": "0"}).status_code == 404
    link.refresh_from_db()
    assert (link.enabled, link.token) == (True, old)


def test_another_organizations_link_is_404(master_admin: Any) -> None:
    theirs = other_organizations_group()
    link = make_link(theirs)
    client = logged_in(master_admin)
    for url in urls(theirs, link).values():
        assert client.post(url, {"enabled": "0"}).status_code == 404
    link.refresh_from_db()
    assert link.enabled


def test_a_link_is_reached_only_through_its_own_group(
    master_admin: Any, group: Any
) -> None:
    from lifebuoy.site.accounts.models import TechnicianGroup

    sales = TechnicianGroup.objects.create(
        organization=group.organization, name="Sales"
    )
    link = make_link(sales)
    wrong = f"/admin-center/groups/{group.pk}/channel-links/{link.pk}/replace/"
    assert logged_in(master_admin).post(wrong).status_code == 404
    huge = f"/admin-center/groups/{group.pk}/channel-links/{2**64}/replace/"
    assert logged_in(master_admin).post(huge).status_code == 404


def test_changes_need_post_and_a_csrf_token(admin: Any, group: Any) -> None:
    link = make_link(group)
    client = logged_in(admin)
    for url in urls(group, link).values():
        assert client.get(url).status_code == 405

    strict = Client(secure=True, enforce_csrf_checks=True)
    strict.cookies = client.cookies
    for url in urls(group, link).values():
        assert strict.post(url, {"enabled": "0"}).status_code == 403
    link.refresh_from_db()
    assert link.enabled


# What the customer sees


def test_a_disabled_link_starts_no_session(admin: Any, group: Any) -> None:
    from lifebuoy.site.support.models import SupportSession

    link = make_link(group)
    logged_in(admin).post(urls(group, link)["enabled"], {"enabled": "0"})
    assert Client(secure=True).get(f"/support/c/{link.token}/").status_code == 404
    assert start_session(link.token).status_code == 404
    assert not SupportSession.objects.exists()


def test_a_replaced_link_starts_no_session_and_the_new_one_does(
    admin: Any, group: Any
) -> None:
    from lifebuoy.site.support.models import SupportSession

    link = make_link(group)
    old = link.token
    logged_in(admin).post(urls(group, link)["replace"])
    link.refresh_from_db()

    assert Client(secure=True).get(f"/support/c/{old}/").status_code == 404
    assert start_session(old).status_code == 404
    assert not SupportSession.objects.exists()
    assert start_session(link.token).status_code == 302
    assert SupportSession.objects.get().queue_group == group


def test_a_link_that_no_longer_works_says_what_to_do(group: Any) -> None:
    link = make_link(group, enabled=False)
    page = Client(secure=True).get(f"/support/c/{link.token}/")
    assert page.status_code == 404
    assert NO_LONGER_ACTIVE in page.content.decode()


# Names are text


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_group_names_are_shown_as_text(
    master_admin: Any, group: Any, hostile: str
) -> None:
    group.name = hostile
    group.save()
    client = logged_in(master_admin)
    response = client.post(
        f"/admin-center/groups/{group.pk}/channel-links/", follow=True
    )
    page = response.content.decode()
    assert hostile not in page
    assert "&lt;" in page
    assert events("channel_link.create").get().target == hostile
