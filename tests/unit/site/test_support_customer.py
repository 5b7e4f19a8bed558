"""Support sessions: the customer's pages and the session file."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def pin_for(technician: Any) -> dict[str, Any]:
    client = Client(secure=True)
    client.force_login(technician)
    session = client.session
    session["lb_auth_at"] = session["lb_last_seen"] = int(time.time())
    session.save()
    response = client.post("/api/v1/pins", "{}", content_type="application/json")
    return response.json()  # type: ignore[no-any-return]


def test_the_pin_page_is_public_labelled_and_has_no_inline_script() -> None:
    response = Client(secure=True).get("/support/")
    assert response.status_code == 200
    page = response.content.decode()
    for field in ("id_pin", "id_name", "id_problem"):
        assert f'<label for="{field}"' in page
    assert 'inputmode="numeric"' in page
    assert "<script>" not in page
    assert " style=" not in page


def test_after_the_pin_the_customer_downloads_the_session_file(
    technician: Any, settings: Any, tmp_path: Any
) -> None:
    from lifebuoy.site.signing.keys import public_keys

    settings.DATA_DIR = tmp_path
    (tmp_path / "tls").mkdir()
    (tmp_path / "tls" / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\nX\n")
    body = pin_for(technician)
    customer = Client(secure=True)
    customer.post("/support/", {"pin": body["pin"]})

    page = customer.get("/support/ready/")
    assert page.status_code == 200
    assert f"lifebuoy-{body['pin']}.lifebuoy".encode() in page.content

    download = customer.get("/support/ready/lifebuoy.lifebuoy")
    assert download["Content-Type"] == "application/json"
    assert download["Content-Disposition"] == (
        f'attachment; filename="lifebuoy-{body["pin"]}.lifebuoy"'
    )
    content = json.loads(download.content)
    assert content["type"] == "lifebuoy-session"
    assert content["version"] == 1
    assert content["session_id"] == body["session_id"]
    assert content["signing_keys"] == public_keys()
    assert content["site_ca_pem"].startswith("-----BEGIN CERTIFICATE-----")
    assert content["site"] == settings.LIFEBUOY.public_url
    assert content["credential"].count(".") == 1


def test_the_session_file_leaves_the_ca_out_without_a_local_ca(
    technician: Any, settings: Any, tmp_path: Any
) -> None:
    settings.DATA_DIR = tmp_path
    customer = Client(secure=True)
    customer.post("/support/", {"pin": pin_for(technician)["pin"]})
    content = json.loads(customer.get("/support/ready/lifebuoy.lifebuoy").content)
    assert "site_ca_pem" not in content


def test_without_a_pin_the_download_sends_the_customer_back() -> None:
    for url in ("/support/ready/", "/support/ready/lifebuoy.lifebuoy"):
        response = Client(secure=True).get(url)
        assert response.status_code == 302
        assert response["Location"] == "/support/"


def test_a_channel_link_puts_the_session_in_the_groups_queue(
    group: Any, technician: Any
) -> None:
    from lifebuoy.site.support.models import ChannelLink, SupportSession

    link = ChannelLink.objects.create(group=group)
    url = f"/support/c/{link.token}/"
    page = Client(secure=True).get(url)
    assert page.status_code == 200
    assert b"Help desk" in page.content
    assert b'name="pin"' not in page.content

    customer = Client(secure=True)
    response = customer.post(url, {"name": "Bob", "problem": "Mail"})
    assert response.status_code == 302
    session = SupportSession.objects.get()
    assert session.queue_group == group
    assert session.queue_owner is None
    download = customer.get("/support/ready/lifebuoy.lifebuoy")
    assert 'filename="lifebuoy-channel.lifebuoy"' in download["Content-Disposition"]


@pytest.mark.parametrize("token", ["sample", "x" * 40, "a" * 300])
def test_an_unknown_channel_link_is_404(token: str) -> None:
    assert Client(secure=True).get(f"/support/c/{token}/").status_code == 404


def test_a_disabled_channel_link_is_404(group: Any) -> None:
    from lifebuoy.site.support.models import ChannelLink

    link = ChannelLink.objects.create(group=group, enabled=False)
    assert Client(secure=True).get(f"/support/c/{link.token}/").status_code == 404


def test_one_address_may_start_only_so_many_channel_sessions(group: Any) -> None:
    from lifebuoy.site.support.models import ChannelLink

    link = ChannelLink.objects.create(group=group)
    client = Client(secure=True, REMOTE_ADDR="198.51.100.1")
    for _ in range(10):
        assert client.post(f"/support/c/{link.token}/", {}).status_code == 302
    refused = client.post(f"/support/c/{link.token}/", {})
    assert refused.status_code == 429
    assert b"Please wait" in refused.content


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_names_are_stored_as_typed_and_shown_as_text(
    technician: Any, hostile: str
) -> None:
    from lifebuoy.site.support.models import SupportSession

    body = pin_for(technician)
    response = Client(secure=True).post(
        "/support/", {"pin": body["pin"], "name": hostile, "problem": hostile}
    )
    assert response.status_code == 302
    session = SupportSession.objects.get()
    assert session.customer_name == hostile
    assert session.problem == hostile


def test_overlong_fields_are_refused_with_a_message(technician: Any) -> None:
    body = pin_for(technician)
    response = Client(secure=True).post(
        "/support/", {"pin": body["pin"], "name": "x" * 500}
    )
    assert response.status_code == 400
    assert b"at most 120 characters" in response.content


def test_the_pin_page_shows_errors_after_a_wrong_pin_with_the_pin_field_marked() -> (
    None
):
    page = Client(secure=True).post("/support/", {"pin": "000000"}).content.decode()
    assert 'class="field invalid"' in page
    assert "No support session has this PIN" in page
