"""API endpoints.

Session-cookie authentication (Ninja's ``django_auth``) checks CSRF on every
state change.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.security import django_auth

from lifebuoy import __version__
from lifebuoy.site.accounts.models import User

api = NinjaAPI(
    title="Lifebuoy API",
    version="1",
    urls_namespace="api",
    docs_url=None,
)


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
