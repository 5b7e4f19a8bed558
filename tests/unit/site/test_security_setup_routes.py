"""No set-up or bootstrap page exists on the web: organizations are created
only from the command line (``lifebuoy createorg`` / ``lifebuoy init``)."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import unquote_to_bytes

import pytest
from django.test import Client
from django.urls import get_resolver
from django.urls.resolvers import URLResolver

pytestmark = pytest.mark.django_db

SETUP_PATHS = [
    "/setup",
    "/setup/",
    "/SETUP/",
    "/Setup/",
    "/%73etup/",
    "/%53ETUP/",
    "/setup/..",
    "/setup/../",
    "//setup/",
    "/./setup/",
    "/setup;x/",
    "/setup%2f",
    "/setup.php",
    "/setup/index.html",
    "/install/",
    "/installer/",
    "/bootstrap/",
    "/init/",
    "/first-run/",
    "/onboarding/",
    "/wizard/",
    "/register/",
    "/signup/",
    "/admin/",
    "/admin/login/",
    "/django-admin/",
    "/accounts/setup/",
    "/accounts/register/",
    "/accounts/signup/",
    "/console/setup/",
    "/admin-center/setup/",
    "/admin-center/bootstrap/",
    "/admin-center/organizations/new/",
    "/api/v1/setup",
    "/api/v1/setup/",
    "/api/v1/bootstrap",
    "/api/v1/organizations",
    "/api/v1/install",
]
# Prefixes behind login: an anonymous visitor is sent to log in first.
PROTECTED = ("/admin-center/", "/console/")
_WORDS = re.compile(r"setup|set-up|bootstrap|install|wizard|signup|register|init")


def _forms(page: bytes) -> list[str]:
    """The forms of a page other than the logout button of the top bar."""
    actions = re.findall(rb"<form\b[^>]*>", page)
    return [a.decode() for a in actions if b'action="/accounts/logout/"' not in a]


def _request(client: Client, method: str, url: str) -> Any:
    """Send the path as a server would pass it on, percent-decoded but
    otherwise untouched (the test client's own parsing would read ``//setup/``
    as a host name)."""
    path = unquote_to_bytes(url).decode("iso-8859-1")
    return client.request(
        PATH_INFO=path,
        REQUEST_METHOD=method.upper(),
        QUERY_STRING="",
        SERVER_PORT="443",
        **{"wsgi.url_scheme": "https"},
    )


def _route_names(patterns: list[Any], prefix: str = "") -> list[str]:
    routes = []
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes.extend(_route_names(entry.url_patterns, route))
        else:
            routes.append(route)
    return routes


def test_url_map_has_no_route_that_sets_up_the_site() -> None:
    routes = _route_names(get_resolver().url_patterns)
    assert "accounts/login/" in routes
    assert [r for r in routes if _WORDS.search(r.lower())] == []


@pytest.mark.parametrize("url", SETUP_PATHS)
def test_setup_path_refuses_anonymous_visitors(organization: Any, url: str) -> None:
    client = Client(secure=True)
    for method in ("get", "post"):
        response = _request(client, method, url)
        where = f"{method} {url} -> {response.status_code}"
        if url.startswith(PROTECTED):
            assert response.status_code in (302, 404), where
        else:
            assert response.status_code in (404, 405), where
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/"), where
        assert _forms(response.content) == [], where


@pytest.mark.parametrize("url", SETUP_PATHS)
def test_setup_path_refuses_a_logged_in_master_admin(
    master_admin: Any, url: str
) -> None:
    client = Client(secure=True)
    client.force_login(master_admin)
    session = client.session
    session["lb_auth_at"] = session["lb_last_seen"] = int(time.time())
    session.save()

    for method in ("get", "post"):
        response = _request(client, method, url)
        where = f"{method} {url} -> {response.status_code}"
        assert response.status_code in (403, 404, 405), where
        assert _forms(response.content) == [], where
