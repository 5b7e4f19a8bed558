"""Administration Center: technician groups and the group tree."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


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


def test_the_overview_offers_to_create_the_first_group(master_admin: Any) -> None:
    page = logged_in(master_admin).get("/admin-center/").content.decode()
    assert "There are no technician groups yet." in page
    assert "Create the first group" in page


def test_the_overview_shows_the_tree_with_counts_and_badges(
    master_admin: Any, group: Any, technician: Any
) -> None:
    from lifebuoy.site.accounts.models import TechnicianGroup

    TechnicianGroup.objects.create(
        organization=group.organization, parent=group, name="Tier 2", enabled=False
    )
    page = logged_in(master_admin).get("/admin-center/").content.decode()
    assert page.index("Help desk") < page.index("Tier 2")
    assert "1 technician<" in page
    assert "0 technicians" in page
    assert "Disabled" in page
    assert "Enabled" in page


def test_a_master_administrator_creates_a_group_and_it_is_audited(
    master_admin: Any,
) -> None:
    client = logged_in(master_admin)
    response = client.post(
        "/admin-center/groups/new/",
        {"name": "Help desk", "description": "First line", "parent": ""},
        REMOTE_ADDR="198.51.100.4",
    )
    assert response.status_code == 302
    group = master_admin.organization.groups.get()
    assert (group.name, group.description, group.parent) == (
        "Help desk",
        "First line",
        None,
    )
    event = events("group.create").get()
    assert (event.actor, event.target, event.ip) == (
        "morgan@acme.test",
        "Help desk",
        "198.51.100.4",
    )
    assert event.organization_id == master_admin.organization_id


def test_an_administrator_creates_subgroups_only_below_their_groups(
    admin: Any, group: Any
) -> None:
    client = logged_in(admin)
    top = client.post("/admin-center/groups/new/", {"name": "Rogue", "parent": ""})
    assert top.status_code == 400
    assert b"This field is required." in top.content

    below = client.post(
        "/admin-center/groups/new/", {"name": "Tier 2", "parent": group.pk}
    )
    assert below.status_code == 302
    tier2 = group.children.get()
    assert tier2.pk in admin.manageable_group_ids()
    assert client.get(f"/admin-center/groups/{tier2.pk}/").status_code == 200


def test_group_names_are_checked(master_admin: Any, group: Any) -> None:
    client = logged_in(master_admin)
    cases = [
        ({"name": "  "}, "Enter a name."),
        ({"name": "x" * 121}, "at most 120 characters"),
        ({"name": "help DESK"}, "A group with this name already exists here."),
        ({"name": "Ok", "description": "d" * 501}, "at most 500 characters"),
        ({"name": "Ok", "parent": "not-a-number"}, "Select a valid choice"),
    ]
    for data, message in cases:
        response = client.post("/admin-center/groups/new/", data)
        assert response.status_code == 400, data
        assert message in response.content.decode(), data
    assert master_admin.organization.groups.count() == 1


def test_editing_a_group_records_what_changed(master_admin: Any, group: Any) -> None:
    from lifebuoy.site.accounts.models import TechnicianGroup

    parent = TechnicianGroup.objects.create(
        organization=group.organization, name="Support"
    )
    client = logged_in(master_admin)
    response = client.post(
        f"/admin-center/groups/{group.pk}/edit/",
        {
            "name": "Front desk",
            "description": "",
            "parent": parent.pk,
            "desktop_viewing": "on",
            "remote_control": "on",
        },
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.name, group.parent) == ("Front desk", parent)
    detail = events("group.update").get().detail
    assert detail["changed"] == {
        "name": ["Help desk", "Front desk"],
        "parent": [None, "Support"],
    }


def test_a_group_cannot_be_moved_below_itself(master_admin: Any, group: Any) -> None:
    from lifebuoy.site.accounts.models import TechnicianGroup

    child = TechnicianGroup.objects.create(
        organization=group.organization, parent=group, name="Tier 2"
    )
    client = logged_in(master_admin)
    for parent in (group, child):
        response = client.post(
            f"/admin-center/groups/{group.pk}/edit/",
            {"name": "Help desk", "parent": parent.pk},
        )
        assert response.status_code == 400
        assert b"Select a valid choice" in response.content
    group.refresh_from_db()
    assert group.parent is None


def test_an_administrator_may_rename_their_top_group_but_not_move_it_out(
    admin: Any, group: Any
) -> None:
    client = logged_in(admin)
    edit = f"/admin-center/groups/{group.pk}/edit/"
    assert client.post(edit, {"name": "Desk", "parent": ""}).status_code == 302
    group.refresh_from_db()
    assert group.name == "Desk"


def test_disabling_and_enabling_a_group(admin: Any, group: Any) -> None:
    client = logged_in(admin)
    url = f"/admin-center/groups/{group.pk}/enabled/"
    assert client.post(url, {"enabled": "0"}).status_code == 302
    group.refresh_from_db()
    assert not group.enabled
    assert client.post(url, {"enabled": "1"}).status_code == 302
    group.refresh_from_db()
    assert group.enabled
    assert events("group.disable").count() == events("group.enable").count() == 1
    assert client.post(url, {"enabled": "maybe"}).status_code == 400


def test_a_group_page_lists_its_technicians(
    admin: Any, group: Any, technician: Any
) -> None:
    page = logged_in(admin).get(f"/admin-center/groups/{group.pk}/").content.decode()
    assert "tina@acme.test" in page
    assert f"/admin-center/technicians/{technician.pk}/" in page
    assert "alex@acme.test" in page
