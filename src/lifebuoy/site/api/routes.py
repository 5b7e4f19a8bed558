"""API endpoints.

Session-cookie authentication (Ninja's ``django_auth``) checks CSRF on every
state change.
"""

from __future__ import annotations

import json

from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.responses import Status
from ninja.security import HttpBearer, django_auth

from lifebuoy import __version__
from lifebuoy.site.accounts.models import User

api = NinjaAPI(
    title="Lifebuoy API",
    version="1",
    urls_namespace="api",
    docs_url=None,
)


def _mount_support() -> None:
    from lifebuoy.site.support.api import router

    api.add_router("", router)


_mount_support()


class Health(Schema):
    status: str
    version: str


class Me(Schema):
    email: str
    name: str
    role: str
    organization: str


@api.get("/health", response=Health, auth=None, tags=["site"])
def health(request: HttpRequest) -> Health:
    """Whether the site answers; public, for load balancers."""
    return Health(status="ok", version=__version__)


class SigningKeys(Schema):
    keys: dict[str, str]
    """Ed25519 public keys (raw, base64) by key id; more than one during a
    rotation's overlap."""


@api.get("/signing-keys", response=SigningKeys, auth=None, tags=["site"])
def signing_keys(request: HttpRequest) -> SigningKeys:
    """The site's public signing keys, which consoles pin to check key
    certificates. Public: they are not secret, and HTTPS carries them."""
    from lifebuoy.site.signing.keys import current_key, public_keys

    current_key()
    return SigningKeys(keys=public_keys())


class GatewayToken(HttpBearer):
    """Standalone gateways authenticate their reports with a shared token."""

    def authenticate(self, request: HttpRequest, token: str) -> str | None:
        from lifebuoy.site.relay.store import token_matches

        return "gateway" if token_matches(token) else None


class Stored(Schema):
    stored: int


@api.post(
    "/gateway/events",
    response={200: Stored, 400: dict[str, str]},
    auth=GatewayToken(),
    tags=["gateway"],
)
def gateway_events(request: HttpRequest) -> Status[Stored | dict[str, str]]:
    """Session lifecycle and byte counts from a standalone gateway."""
    from lifebuoy.site.relay.store import BadReport, store

    try:
        body = json.loads(request.body)
        events = body["events"]
        if not isinstance(events, list):
            raise BadReport("events must be a list")
        return Status(200, Stored(stored=store(events, source="gateway")))
    except (ValueError, KeyError, TypeError) as exc:
        return Status(400, {"error": f"Not a gateway report: {exc}"})


@api.get("/me", response=Me, auth=django_auth, tags=["accounts"])
def me(request: HttpRequest) -> Me:
    """The logged-in user."""
    user = request.user
    assert isinstance(user, User)
    return Me(
        email=user.email,
        name=user.name,
        role=user.role,
        organization=user.organization.name,
    )
