"""Administration Center: organization settings, the audit log, escaping."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def logged_in(user: Any) -> Client:
    client = Client(secure=True)
    client.force_login(user)
    session = client.session
    session["lb_auth_at"] = session["lb_last_seen"] = int(time.time())
    session.save()
    return client


def test_the_inactivity_timeout_is_set_in_minutes(master_admin: Any) -> None:
    from lifebuoy.site.audit.models import AuditEvent

    client = logged_in(master_admin)
    url = "/admin-center/organization/"
    assert client.post(url, {"inactivity_minutes": "45"}).status_code == 302
    master_admin.organization.refresh_from_db()
    assert master_admin.organization.inactivity_timeout_s == 45 * 60
    assert AuditEvent.objects.filter(action="organization.update").count() == 1

    for bad in ("0", "481", "ten", "", "1" * 40):
        response = client.post(url, {"inactivity_minutes": bad})
        assert response.status_code == 400, bad
        assert b'class="error"' in response.content
    master_admin.organization.refresh_from_db()
    assert master_admin.organization.inactivity_timeout_s == 45 * 60


def test_the_audit_log_is_newest_first_paginated_and_per_organization(
    master_admin: Any,
) -> None:
    from lifebuoy.site.audit.chain import record

    organization_id = master_admin.organization_id
    for number in range(60):
        record("test.event", organization_id=organization_id, target=f"t-{number:02}")
    record("test.event", organization_id=organization_id + 1, target="elsewhere")

    client = logged_in(master_admin)
    first = client.get("/admin-center/audit/").content.decode()
    assert first.index("t-59") < first.index("t-58")
    assert "t-09" not in first
    assert "elsewhere" not in first
    assert "Page 1 of 2" in first
    second = client.get("/admin-center/audit/?page=2").content.decode()
    assert "t-00" in second
    assert "t-59" not in second


@pytest.mark.parametrize("hostile", HOSTILE)
def test_names_are_shown_as_text_everywhere(
    master_admin: Any, organization: Any, hostile: str
) -> None:
    from lifebuoy.site.accounts.models import TechnicianGroup, User

    client = logged_in(master_admin)
    client.post("/admin-center/groups/new/", {"name": hostile, "description": hostile})
    group = TechnicianGroup.objects.get(name=hostile)
    client.post("/admin-center/groups/new/", {"name": "Child", "parent": group.pk})
    created = client.post(
        "/admin-center/technicians/new/",
        {"name": hostile, "email": "x@acme.test", "group": group.pk},
    )
    technician = User.objects.get(email="x@acme.test")
    client.post(
        "/admin-center/administrators/new/",
        {"name": hostile, "email": "y@acme.test", "managed_groups": [group.pk]},
    )

    child = group.children.get()
    pages = [
        created,
        client.get("/admin-center/"),
        client.get(f"/admin-center/groups/{group.pk}/"),
        client.get(f"/admin-center/groups/{child.pk}/"),
        client.get(f"/admin-center/groups/{group.pk}/edit/"),
        client.get("/admin-center/technicians/"),
        client.get(f"/admin-center/technicians/{technician.pk}/"),
        client.get("/admin-center/administrators/"),
        client.get("/admin-center/audit/"),
        client.post("/admin-center/groups/new/", {"name": hostile}),
    ]
    for response in pages:
        body = response.content.decode()
        assert response.status_code in (200, 400)
        assert hostile not in body, response.request["PATH_INFO"]
        assert "&lt;" in body or "&quot;" in body


def test_no_inline_scripts_or_styles(master_admin: Any, group: Any) -> None:
    client = logged_in(master_admin)
    for url in (
        "/admin-center/",
        f"/admin-center/groups/{group.pk}/",
        "/admin-center/technicians/new/",
        "/admin-center/administrators/new/",
        "/admin-center/organization/",
        "/admin-center/audit/",
    ):
        body = client.get(url).content.decode()
        for inline in ("style=", "<style", "<script>", "onclick"):
            assert inline not in body, url
