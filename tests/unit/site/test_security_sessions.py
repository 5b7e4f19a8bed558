"""Web sessions: inactivity logoff, absolute lifetime, forced password change,
disabled users, and the password change itself."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _logged_in(user: Any, *, auth_age: int = 0, idle: int = 0) -> Client:
    client = Client(secure=True)
    client.force_login(user)
    now = int(time.time())
    session = client.session
    session["lb_auth_at"] = now - auth_age
    session["lb_last_seen"] = now - idle
    session.save()
    return client


def _logouts(user: Any) -> list[dict[str, Any]]:
    from lifebuoy.site.audit.models import AuditEvent

    events = AuditEvent.objects.filter(action="logout", actor_id=user.pk)
    return [event.detail for event in events]


def test_inactive_session_refuses_the_next_request_and_is_audited(
    technician: Any, organization: Any
) -> None:
    organization.inactivity_timeout_s = 300
    organization.save()
    client = _logged_in(technician, idle=301)

    response = client.get("/console/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?reason=inactive"
    assert _logouts(technician) == [{"reason": "inactive"}]
    # The session is gone, not just this answer.
    assert client.get("/console/")["Location"].startswith("/accounts/login/?next=")


def test_session_within_the_organizations_timeout_stays(
    technician: Any, organization: Any
) -> None:
    organization.inactivity_timeout_s = 300
    organization.save()
    client = _logged_in(technician, idle=290)
    assert client.get("/console/").status_code == 200
    # The visit counts as activity.
    assert int(client.session["lb_last_seen"]) >= int(time.time()) - 2


def test_inactive_api_session_refuses_with_401_json(
    technician: Any, organization: Any
) -> None:
    client = _logged_in(technician, idle=organization.inactivity_timeout_s + 5)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == {"error": "Your session has ended (inactive)."}


def test_session_past_its_absolute_lifetime_refuses_even_when_active(
    technician: Any, settings: Any
) -> None:
    max_age = settings.LIFEBUOY.security.session_max_age_s
    client = _logged_in(technician, auth_age=max_age + 1)

    response = client.get("/console/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?reason=expired"
    assert _logouts(technician) == [{"reason": "expired"}]


def test_session_without_login_times_refuses(technician: Any) -> None:
    # A session made some other way than the login view has no times: out.
    client = Client(secure=True)
    client.force_login(technician)
    response = client.get("/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?reason=")


@pytest.mark.parametrize(
    "url", ["/", "/console/", "/admin-center/", "/api/v1/me", "/no/such/page/"]
)
def test_must_change_password_refuses_every_page_but_the_password_page(
    master_admin: Any, url: str
) -> None:
    master_admin.must_change_password = True
    master_admin.save()
    client = _logged_in(master_admin)

    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/"
    assert client.get("/accounts/password/").status_code == 200


def test_must_change_password_still_allows_logout(master_admin: Any) -> None:
    master_admin.must_change_password = True
    master_admin.save()
    client = _logged_in(master_admin)
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/?reason=logged-out"
    assert client.get("/accounts/password/").status_code == 302


def test_disabled_user_is_refused_at_the_very_next_request(
    technician: Any, master_admin: Any
) -> None:
    from lifebuoy.site.accounts import admin_actions
    from lifebuoy.site.accounts.models import User, WebSession

    client = Client(secure=True)
    client.get("/accounts/login/")
    client.post(
        "/accounts/login/",
        {"login_id": technician.email, "password": "correct horse battery staple"},
    )
    assert client.get("/console/").status_code == 200
    assert WebSession.objects.filter(user=technician).count() == 1

    user = User.objects.get(pk=technician.pk)
    admin_actions.set_enabled(user, False, actor=master_admin, ip=None)

    response = client.get("/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/api/v1/me").status_code == 401
    assert WebSession.objects.filter(user=technician).count() == 0


def test_disabled_user_with_a_forced_session_is_refused(
    technician: Any, master_admin: Any
) -> None:
    # A session that admin_actions did not know of (not in WebSession) still
    # ends: the backend refuses inactive users and the auth hash changed.
    from lifebuoy.site.accounts import admin_actions

    client = _logged_in(technician)
    assert client.get("/console/").status_code == 200
    admin_actions.set_enabled(technician, False, actor=master_admin, ip=None)
    assert client.get("/console/").status_code == 302


def _change(client: Client, current: str, new: str, repeat: str | None = None) -> Any:
    return client.post(
        "/accounts/password/",
        {
            "current_password": current,
            "new_password": new,
            "repeat_password": new if repeat is None else repeat,
        },
    )


def test_password_change_works_and_keeps_the_session(
    technician: Any, password: str
) -> None:
    from lifebuoy.site.audit.models import AuditEvent

    technician.must_change_password = True
    technician.save()
    client = _logged_in(technician)
    new = "a quite long and unusual passphrase"

    response = _change(client, password, new)
    assert response.status_code == 302
    technician.refresh_from_db()
    assert technician.check_password(new)
    assert technician.must_change_password is False
    assert client.get("/console/").status_code == 200
    assert AuditEvent.objects.filter(action="password.change").count() == 1


@pytest.mark.parametrize(
    ("new", "repeat", "message"),
    [
        ("short1", None, "This password is too short."),
        ("password1234", None, "This password is too common."),
        ("a quite long and unusual passphrase", "something else", "differ"),
        ("correct horse battery staple", None, "not used here"),
    ],
)
def test_password_change_refuses_weak_or_mismatched_passwords(
    technician: Any, password: str, new: str, repeat: str | None, message: str
) -> None:
    client = _logged_in(technician)
    response = _change(client, password, new, repeat)
    assert response.status_code == 400
    assert message in response.content.decode()
    technician.refresh_from_db()
    assert technician.check_password(password)


def test_password_change_refuses_a_wrong_current_password(technician: Any) -> None:
    client = _logged_in(technician)
    response = _change(client, "not my password", "a quite long passphrase 77")
    assert response.status_code == 400
    assert b"That is not your current password." in response.content
