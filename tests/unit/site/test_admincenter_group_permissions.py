"""Administration Center: the screen permissions of technician groups."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

pytestmark = pytest.mark.django_db

NEEDS_VIEWING = "Remote control needs desktop viewing"


def logged_in(user: Any) -> Client:
    client = Client(secure=True)
    client.force_login(user)
    session = client.session
    session["lb_auth_at"] = session["lb_last_seen"] = int(time.time())
    session.save()
    return client


def edit(client: Client, group: Any, **flags: str) -> Any:
    data = {"name": group.name, "description": "", "parent": "", **flags}
    return client.post(f"/admin-center/groups/{group.pk}/edit/", data)


def test_new_groups_allow_viewing_and_control_without_single_prompt(
    group: Any,
) -> None:
    assert (group.desktop_viewing, group.remote_control, group.single_prompt) == (
        True,
        True,
        False,
    )
    assert group.screen_actions == {"view", "control"}


def test_the_edit_page_shows_labelled_checkboxes(master_admin: Any, group: Any) -> None:
    page = logged_in(master_admin).get(f"/admin-center/groups/{group.pk}/edit/")
    html = page.content.decode()

    assert "Desktop viewing" in html
    assert "Remote control (includes viewing)" in html
    assert "Single prompt: ask the customer once for everything this group may do" in (
        html
    )
    assert 'type="checkbox" name="desktop_viewing"' in html
    assert 'name="remote_control"' in html
    assert 'name="single_prompt"' in html


def test_the_new_group_page_starts_with_viewing_and_control_checked(
    master_admin: Any,
) -> None:
    html = logged_in(master_admin).get("/admin-center/groups/new/").content.decode()
    boxes = {
        name: attributes
        for attributes, name in re.findall(
            r'<input type="checkbox" (name="(\w+)"[^>]*)>', html
        )
    }

    assert set(boxes) == {"desktop_viewing", "remote_control", "single_prompt"}
    assert "checked" in boxes["desktop_viewing"]
    assert "checked" in boxes["remote_control"]
    assert "checked" not in boxes["single_prompt"]


def test_control_without_viewing_is_refused(master_admin: Any, group: Any) -> None:
    response = edit(logged_in(master_admin), group, remote_control="on")

    assert response.status_code == 400
    assert NEEDS_VIEWING in response.content.decode()
    group.refresh_from_db()
    assert group.desktop_viewing
    assert group.remote_control


def test_the_model_refuses_control_without_viewing(group: Any) -> None:
    group.desktop_viewing = False
    with pytest.raises(ValidationError, match=NEEDS_VIEWING):
        group.full_clean()


def test_changing_permissions_is_audited(master_admin: Any, group: Any) -> None:
    from lifebuoy.site.audit.models import AuditEvent

    response = edit(
        logged_in(master_admin), group, desktop_viewing="on", single_prompt="on"
    )

    assert response.status_code == 302
    group.refresh_from_db()
    assert group.screen_actions == {"view"}
    assert group.single_prompt
    detail = AuditEvent.objects.get(action="group.update").detail
    assert detail["changed"] == {
        "remote_control": [True, False],
        "single_prompt": [False, True],
    }


def test_a_group_may_allow_nothing_on_the_screen(master_admin: Any, group: Any) -> None:
    assert edit(logged_in(master_admin), group).status_code == 302
    group.refresh_from_db()
    assert group.screen_actions == frozenset()


def test_a_created_group_keeps_what_was_chosen_and_is_audited(
    master_admin: Any,
) -> None:
    from lifebuoy.site.audit.models import AuditEvent

    response = logged_in(master_admin).post(
        "/admin-center/groups/new/",
        {"name": "Viewers", "parent": "", "desktop_viewing": "on"},
    )

    assert response.status_code == 302
    group = master_admin.organization.groups.get(name="Viewers")
    assert group.screen_actions == {"view"}
    detail = AuditEvent.objects.get(action="group.create").detail
    assert (detail["desktop_viewing"], detail["remote_control"]) == (True, False)


def test_the_demo_organization_allows_viewing_and_control() -> None:
    from lifebuoy.site.accounts.models import TechnicianGroup
    from lifebuoy.site.bootstrap.organizations import create_demo

    create_demo()

    group = TechnicianGroup.objects.get(name="Help desk")
    assert group.screen_actions == {"view", "control"}
    assert not group.single_prompt
