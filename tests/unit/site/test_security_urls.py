"""Every URL of the site is closed to anonymous visitors unless listed public,
and every response carries the security headers, errors and static files too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, path
from django.urls.resolvers import RoutePattern

pytestmark = pytest.mark.django_db

# Paths an anonymous visitor may reach, with what each answers.
PUBLIC = {
    "/accounts/login/",
    "/api/v1/health",
    "/api/v1/openapi.json",
    # Public keys that consoles pin; not secret (see api/routes.py).
    "/api/v1/signing-keys",
    # The customer's pages of a support session (docs/sessions.md): no login.
    # Without an entered PIN, the session file pages send back to /support/;
    # an unknown channel link answers 404.
    "/support/",
    "/support/c/sample/",
    "/support/ready/",
    "/support/ready/lifebuoy.lifebuoy",
}
# Routes that exist but serve nothing to anyone: the API's documentation home
# answers 404 because the documentation is switched off.
EMPTY = {"/api/v1/"}
# Answers that keep an anonymous visitor out.
REFUSALS = {302, 401, 403}

_SAMPLES = {
    "int": "1",
    "str": "sample",
    "slug": "sample-slug",
    "uuid": "12345678-1234-5678-1234-567812345678",
    "path": "sample/path",
}
_CONVERTER = re.compile(r"<(?:(?P<kind>[^>:]+):)?(?P<name>[^>]+)>")
_NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]{16,})'")


def _concrete(route: str) -> str:
    def fill(match: re.Match[str]) -> str:
        kind = match["kind"] or "str"
        if kind not in _SAMPLES:
            raise AssertionError(f"no sample value for converter {kind!r}")
        return _SAMPLES[kind]

    return _CONVERTER.sub(fill, route)


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        if not isinstance(entry.pattern, RoutePattern):
            raise AssertionError(f"regex pattern {entry.pattern}: teach the walk it")
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield "/" + _concrete(route)


def site_paths() -> list[str]:
    return sorted(set(_walk(get_resolver().url_patterns)))


def assert_security_headers(response: Any) -> str:
    """Check the headers every response must carry; return the CSP nonce."""
    where = f"{response.request['PATH_INFO']} -> {response.status_code}"
    csp = response.headers.get("Content-Security-Policy", "")
    nonce = _NONCE.search(csp)
    assert nonce, f"{where}: no CSP nonce in {csp!r}"
    assert "frame-ancestors 'none'" in csp, where
    assert "object-src 'none'" in csp, where
    hsts = response.headers.get("Strict-Transport-Security", "")
    assert re.match(r"max-age=\d{7,}", hsts), f"{where}: HSTS {hsts!r}"
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "same-origin", where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    return nonce.group(1)


def test_url_walk_finds_every_area_of_the_site() -> None:
    # Guards the walk itself: if it stopped descending, the test below would
    # pass on nothing.
    paths = site_paths()
    for expected in ("/", "/accounts/password/", "/admin-center/", "/console/"):
        assert expected in paths
    assert "/api/v1/me" in paths
    assert set(paths) >= PUBLIC


def test_url_walk_refuses_anonymous_visitors_outside_the_public_list() -> None:
    client = Client(secure=True)
    answered: dict[str, list[int]] = {}

    for url in site_paths():
        statuses = []
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert_security_headers(response)
            assert response.status_code < 500, f"{method} {url}"
            statuses.append(response.status_code)
            if url in PUBLIC or response.status_code == 405:
                continue
            if url in EMPTY:
                assert response.status_code == 404, f"{method} {url}"
                continue
            assert response.status_code in REFUSALS, f"{method} {url}"
            if response.status_code == 302:
                assert response["Location"].startswith("/accounts/login/"), url
        # A route that answers 405 to both methods was not tested at all.
        assert statuses != [405, 405], url
        answered[url] = statuses

    assert answered["/accounts/login/"][0] == 200
    assert answered["/api/v1/health"][0] == 200


def test_url_walk_refuses_a_logged_in_technician_the_administration_center(
    technician: Any,
) -> None:
    import time

    client = Client(secure=True)
    client.force_login(technician)
    session = client.session
    session["lb_auth_at"] = session["lb_last_seen"] = int(time.time())
    session.save()
    assert client.get("/admin-center/").status_code == 403
    assert client.get("/console/").status_code == 200


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", "/no/such/page/", 404),
        ("get", "/api/v1/no-such-endpoint", 404),
        ("put", "/accounts/login/", 405),
        ("get", "/accounts/logout/", 405),
        ("post", "/api/v1/health", 405),
        ("get", "/static/no-such-file.css", 404),
    ],
)
def test_every_answer_carries_the_security_headers(
    method: str, url: str, status: int
) -> None:
    response = getattr(Client(secure=True), method)(url)
    assert response.status_code == status
    assert_security_headers(response)


def test_static_files_are_served_with_the_security_headers() -> None:
    response = Client(secure=True).get("/static/css/lifebuoy.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert_security_headers(response)


def test_bad_request_answers_carry_the_security_headers() -> None:
    response = Client(secure=True, HTTP_HOST="evil.example").get("/accounts/login/")
    assert response.status_code == 400
    assert_security_headers(response)

    response = Client(secure=True).post(
        "/accounts/login/", data=b"x", content_type="text/plain", CONTENT_LENGTH="-"
    )
    assert response.status_code == 400
    assert_security_headers(response)


def test_server_error_answers_carry_the_security_headers() -> None:
    client = Client(secure=True, raise_request_exception=False)
    with override_settings(ROOT_URLCONF=__name__):
        response = client.get("/boom/")
    assert response.status_code == 500
    assert_security_headers(response)
    assert b"Traceback" not in response.content


def test_csp_nonce_changes_per_response_and_matches_the_page() -> None:
    client = Client(secure=True)
    with override_settings(ROOT_URLCONF=__name__):
        first = client.get("/nonce/")
        second = client.get("/nonce/")

    nonces = [assert_security_headers(r) for r in (first, second)]
    assert nonces[0] != nonces[1]
    for response, nonce in zip((first, second), nonces, strict=True):
        in_page = re.findall(r'<script nonce="([^"]*)">', response.content.decode())
        assert in_page == [nonce]


def test_real_pages_load_scripts_only_from_the_site_or_with_the_nonce(
    technician: Any,
) -> None:
    import time

    client = Client(secure=True)
    client.force_login(technician)
    session = client.session
    session["lb_auth_at"] = session["lb_last_seen"] = int(time.time())
    session.save()

    for url in ("/console/", "/accounts/password/"):
        response = client.get(url)
        nonce = assert_security_headers(response)
        for tag in re.findall(r"<script\b[^>]*>", response.content.decode()):
            src = re.search(r'src="([^"]*)"', tag)
            allowed = (src and src.group(1).startswith("/static/")) or (
                f'nonce="{nonce}"' in tag
            )
            assert allowed, f"{url}: {tag} would be blocked by the CSP"


# A URL map for the two tests above: one page that uses the nonce the way a
# template must, and one view that fails.


def _nonce_page(request: HttpRequest) -> HttpResponse:
    template = engines["django"].from_string(
        '<html><script nonce="{{ csp_nonce }}">let a = 1;</script></html>'
    )
    return HttpResponse(template.render({}, request))


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a view that fails")


urlpatterns = [path("nonce/", _nonce_page), path("boom/", _boom)]
handler500 = "lifebuoy.site.security.views.server_error"
