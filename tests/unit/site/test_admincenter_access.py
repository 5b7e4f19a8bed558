"""Administration Center: who may open which page, and on which objects."""

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


@pytest.fixture
def other_group(organization: Any) -> Any:
    """A top-level group of the same organization that ``admin`` does not manage."""
    from lifebuoy.site.accounts.models import TechnicianGroup

    return TechnicianGroup.objects.create(organization=organization, name="Field")


@pytest.fixture
def other_technician(organization: Any, other_group: Any) -> Any:
    from .conftest import make_user

    return make_user(organization, "otto@acme.test", "technician", other_group)


@pytest.fixture
def foreign(db: Any) -> dict[str, Any]:
    """Another organization with its own group, technician and master admin."""
    from lifebuoy.site.accounts.models import Organization, TechnicianGroup

    from .conftest import make_user

    org = Organization.objects.create(name="Globex")
    group = TechnicianGroup.objects.create(organization=org, name="Globex desk")
    return {
        "group": group,
        "technician": make_user(org, "gina@globex.test", "technician", group),
        "master": make_user(org, "gus@globex.test", "master_admin"),
    }


ADMIN_PAGES = ["/admin-center/", "/admin-center/technicians/"]
MASTER_PAGES = [
    "/admin-center/administrators/",
    "/admin-center/administrators/new/",
    "/admin-center/organization/",
    "/admin-center/audit/",
]


def test_anonymous_visitors_are_sent_to_login(group: Any) -> None:
    for url in [*ADMIN_PAGES, *MASTER_PAGES, f"/admin-center/groups/{group.pk}/"]:
        response = Client(secure=True).get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_a_technician_gets_403_on_every_page(technician: Any, group: Any) -> None:
    client = logged_in(technician)
    urls = [
        *ADMIN_PAGES,
        *MASTER_PAGES,
        "/admin-center/groups/new/",
        f"/admin-center/groups/{group.pk}/",
        f"/admin-center/groups/{group.pk}/edit/",
        "/admin-center/technicians/new/",
        f"/admin-center/technicians/{technician.pk}/",
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
    posts = [
        f"/admin-center/groups/{group.pk}/enabled/",
        f"/admin-center/technicians/{technician.pk}/enabled/",
        f"/admin-center/technicians/{technician.pk}/password/",
        "/admin-center/organization/",
    ]
    for url in posts:
        assert client.post(url, {"enabled": "0"}).status_code == 403, url
    group.refresh_from_db()
    assert group.enabled


def test_an_administrator_gets_403_on_master_admin_pages(admin: Any) -> None:
    client = logged_in(admin)
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 200, url
    for url in MASTER_PAGES:
        assert client.get(url).status_code == 403, url
    assert b"Audit log" not in client.get("/admin-center/").content


def test_an_administrator_sees_only_the_groups_they_manage(
    admin: Any, group: Any, other_group: Any
) -> None:
    page = logged_in(admin).get("/admin-center/").content.decode()
    assert "Help desk" in page
    assert "Field" not in page


def test_an_administrator_gets_404_for_groups_they_do_not_manage(
    admin: Any, other_group: Any, foreign: dict[str, Any]
) -> None:
    client = logged_in(admin)
    for group in (other_group, foreign["group"]):
        assert client.get(f"/admin-center/groups/{group.pk}/").status_code == 404
        edit = f"/admin-center/groups/{group.pk}/edit/"
        assert client.get(edit).status_code == 404
        assert client.post(edit, {"name": "Taken"}).status_code == 404
        enabled = f"/admin-center/groups/{group.pk}/enabled/"
        assert client.post(enabled, {"enabled": "0"}).status_code == 404
    other_group.refresh_from_db()
    assert other_group.enabled
    assert other_group.name == "Field"


def test_an_administrator_gets_404_for_technicians_outside_their_groups(
    admin: Any, other_technician: Any, foreign: dict[str, Any], master_admin: Any
) -> None:
    client = logged_in(admin)
    for target in (other_technician, foreign["technician"], master_admin, admin):
        base = f"/admin-center/technicians/{target.pk}/"
        assert client.get(base).status_code == 404
        assert client.post(base, {"name": "x", "email": "x@x.test"}).status_code == 404
        assert client.post(f"{base}enabled/", {"enabled": "0"}).status_code == 404
        assert client.post(f"{base}password/").status_code == 404
    other_technician.refresh_from_db()
    assert other_technician.is_active


def test_a_master_administrator_cannot_reach_another_organization(
    master_admin: Any, foreign: dict[str, Any]
) -> None:
    client = logged_in(master_admin)
    group, technician = foreign["group"], foreign["technician"]
    assert client.get(f"/admin-center/groups/{group.pk}/").status_code == 404
    assert client.get(f"/admin-center/technicians/{technician.pk}/").status_code == 404
    admin_url = f"/admin-center/administrators/{foreign['master'].pk}/"
    assert client.get(admin_url).status_code == 404
    assert client.post(f"{admin_url}enabled/", {"enabled": "0"}).status_code == 404

    overview = client.get("/admin-center/").content.decode()
    technicians = client.get("/admin-center/technicians/").content.decode()
    assert "Globex" not in overview
    assert "gina@globex.test" not in technicians


def test_a_group_from_outside_the_scope_is_refused_as_a_choice(
    admin: Any, group: Any, other_group: Any, foreign: dict[str, Any]
) -> None:
    client = logged_in(admin)
    for outside in (other_group, foreign["group"]):
        response = client.post(
            "/admin-center/technicians/new/",
            {"name": "Eve", "email": "eve@acme.test", "group": outside.pk},
        )
        assert response.status_code == 400
        assert b"Select a valid choice" in response.content
        moved = client.post(
            f"/admin-center/groups/{group.pk}/edit/",
            {"name": "Help desk", "parent": outside.pk},
        )
        assert moved.status_code == 400
    group.refresh_from_db()
    assert group.parent_id is None


def test_state_changes_refuse_get_and_need_csrf(master_admin: Any, group: Any) -> None:
    client = logged_in(master_admin)
    assert client.get(f"/admin-center/groups/{group.pk}/enabled/").status_code == 405

    strict = Client(secure=True, enforce_csrf_checks=True)
    strict.cookies = client.cookies
    response = strict.post(
        f"/admin-center/groups/{group.pk}/enabled/", {"enabled": "0"}
    )
    assert response.status_code == 403
    group.refresh_from_db()
    assert group.enabled


def test_odd_ids_give_404_not_500(master_admin: Any) -> None:
    client = logged_in(master_admin)
    huge = "9" * 30
    for url in (f"/admin-center/groups/{huge}/", f"/admin-center/technicians/{huge}/"):
        assert client.get(url).status_code == 404
    assert client.get("/admin-center/groups/new/?parent=abc").status_code == 200
    assert client.get("/admin-center/audit/?page=zzz").status_code == 200
