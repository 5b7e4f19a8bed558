"""Administration Center: technicians and administrators."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a much longer passphrase 42"


def logged_in(user: Any) -> Client:
    client = Client(secure=True)
    client.force_login(user)
    session = client.session
    session["lb_auth_at"] = session["lb_last_seen"] = int(time.time())
    session.save()
    return client


def logged_in_for_real(email: str, password: str) -> Client:
    """Through the login page, so the web session is remembered for ending."""
    client = Client(secure=True)
    response = client.post(
        "/accounts/login/", {"login_id": email, "password": password}
    )
    assert response.status_code == 302
    return client


def shown_password(response: Any) -> str:
    found = re.search(r'id="one-time-password">([^<]+)<', response.content.decode())
    assert found, "no one-time password on the page"
    return found.group(1)


def events(action: str) -> Any:
    from lifebuoy.site.audit.models import AuditEvent

    return AuditEvent.objects.filter(action=action)


def test_creating_a_technician_shows_the_one_time_password_once(
    admin: Any, group: Any
) -> None:
    from lifebuoy.site.accounts.models import User

    client = logged_in(admin)
    response = client.post(
        "/admin-center/technicians/new/",
        {"name": "Nina", "email": "Nina@Acme.test", "group": group.pk},
    )
    assert response.status_code == 200
    password = shown_password(response)
    assert response["Cache-Control"] == "no-store"

    nina = User.objects.get(email="nina@acme.test")
    assert (nina.role, nina.group, nina.organization) == (
        "technician",
        group,
        admin.organization,
    )
    assert nina.must_change_password
    assert nina.check_password(password)

    # Nowhere else: not the technician's page, not the group, not the log.
    for url in (
        f"/admin-center/technicians/{nina.pk}/",
        f"/admin-center/groups/{group.pk}/",
        "/admin-center/technicians/",
    ):
        assert password not in client.get(url).content.decode()
    event = events("technician.create").get()
    assert event.target == "nina@acme.test"
    assert password not in json.dumps(event.detail)


def test_the_new_technician_must_change_the_one_time_password(
    admin: Any, group: Any
) -> None:
    created = logged_in(admin).post(
        "/admin-center/technicians/new/",
        {"name": "Nina", "email": "nina@acme.test", "group": group.pk},
    )
    nina = logged_in_for_real("nina@acme.test", shown_password(created))
    assert nina.get("/console/")["Location"] == "/accounts/password/"

    changed = nina.post(
        "/accounts/password/",
        {
            "current_password": shown_password(created),
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 302
    assert nina.get("/console/").status_code == 200


def test_account_forms_explain_bad_input(
    admin: Any, group: Any, technician: Any
) -> None:
    client = logged_in(admin)
    cases = [
        ({"name": "", "email": "a@acme.test"}, "Enter a name."),
        ({"name": "n" * 121, "email": "a@acme.test"}, "at most 120 characters"),
        ({"name": "A", "email": "not an email"}, "Enter a valid email address."),
        ({"name": "A", "email": "TINA@acme.test"}, "An account with this email"),
        ({"name": "A", "email": "a@acme.test"}, "Choose a group."),
        ({"name": "A", "email": "a@acme.test", "group": "x"}, "Select a valid choice"),
    ]
    for data, message in cases:
        if "group" not in data and "Choose" not in message:
            data = {**data, "group": group.pk}
        response = client.post("/admin-center/technicians/new/", data)
        assert response.status_code == 400, data
        assert message in response.content.decode(), data


def test_editing_a_technician_is_audited(
    admin: Any, group: Any, technician: Any
) -> None:
    from lifebuoy.site.accounts.models import TechnicianGroup

    tier2 = TechnicianGroup.objects.create(
        organization=group.organization, parent=group, name="Tier 2"
    )
    client = logged_in(admin)
    response = client.post(
        f"/admin-center/technicians/{technician.pk}/",
        {"name": "Tina T.", "email": "tina.t@acme.test", "group": tier2.pk},
    )
    assert response.status_code == 302
    technician.refresh_from_db()
    assert (technician.name, technician.email, technician.group) == (
        "Tina T.",
        "tina.t@acme.test",
        tier2,
    )
    changed = events("technician.update").get().detail["changed"]
    assert changed["email"] == ["tina@acme.test", "tina.t@acme.test"]
    assert changed["group"] == ["Help desk", "Tier 2"]

    taken = client.post(
        f"/admin-center/technicians/{technician.pk}/",
        {"name": "Tina", "email": "alex@acme.test", "group": tier2.pk},
    )
    assert taken.status_code == 400
    assert b"An account with this email already exists." in taken.content


def test_disabling_a_technician_logs_them_out_at_once(
    admin: Any, technician: Any, password: str
) -> None:
    tina = logged_in_for_real("tina@acme.test", password)
    assert tina.get("/console/").status_code == 200

    url = f"/admin-center/technicians/{technician.pk}/enabled/"
    assert logged_in(admin).post(url, {"enabled": "0"}).status_code == 302
    response = tina.get("/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    technician.refresh_from_db()
    assert not technician.is_active
    assert events("account.disable").get().target == "tina@acme.test"

    assert logged_in(admin).post(url, {"enabled": "1"}).status_code == 302
    technician.refresh_from_db()
    assert technician.is_active


def test_resetting_a_password_shows_a_new_one_time_password(
    admin: Any, technician: Any, password: str
) -> None:
    tina = logged_in_for_real("tina@acme.test", password)
    url = f"/admin-center/technicians/{technician.pk}/password/"
    response = logged_in(admin).post(url)
    assert response.status_code == 200
    new = shown_password(response)
    technician.refresh_from_db()
    assert technician.check_password(new)
    assert technician.must_change_password
    assert tina.get("/console/").status_code == 302
    assert new not in json.dumps(events("account.reset_password").get().detail)


def test_a_master_administrator_creates_an_administrator_for_groups(
    master_admin: Any, group: Any, technician: Any
) -> None:
    from lifebuoy.site.accounts.models import User

    client = logged_in(master_admin)
    response = client.post(
        "/admin-center/administrators/new/",
        {"name": "Ada", "email": "ada@acme.test", "managed_groups": [group.pk]},
    )
    assert response.status_code == 200
    password = shown_password(response)
    ada = User.objects.get(email="ada@acme.test")
    assert ada.role == "admin"
    assert ada.must_change_password
    assert ada.manageable_group_ids() == {group.pk}
    detail = events("admin.create").get().detail
    assert detail["managed_groups"] == ["Help desk"]
    assert password not in json.dumps(detail)

    # Ada can now manage Tina, once she has chosen her password.
    ada.set_password(NEW_PASSWORD)
    ada.must_change_password = False
    ada.save()
    ada_client = logged_in(ada)
    page = ada_client.get(f"/admin-center/technicians/{technician.pk}/")
    assert page.status_code == 200


def test_changing_the_groups_of_an_administrator(
    master_admin: Any, admin: Any, group: Any
) -> None:
    client = logged_in(master_admin)
    response = client.post(
        f"/admin-center/administrators/{admin.pk}/",
        {"name": admin.name, "email": admin.email},
    )
    assert response.status_code == 302
    assert admin.manageable_group_ids() == set()
    changed = events("admin.update").get().detail["changed"]
    assert changed == {"managed_groups": [["Help desk"], []]}


def test_disabling_an_administrator_but_never_yourself(
    master_admin: Any, admin: Any
) -> None:
    client = logged_in(master_admin)
    off = {"enabled": "0"}
    response = client.post(f"/admin-center/administrators/{admin.pk}/enabled/", off)
    assert response.status_code == 302
    admin.refresh_from_db()
    assert not admin.is_active

    own = f"/admin-center/administrators/{master_admin.pk}/enabled/"
    refused = client.post(own, off)
    assert refused.status_code == 400
    assert b"You cannot disable your own account." in refused.content
    master_admin.refresh_from_db()
    assert master_admin.is_active
