"""Fixtures for site tests: an organization with named users."""

from __future__ import annotations

from typing import Any

import pytest

PASSWORD = "correct horse battery staple"


@pytest.fixture
def password() -> str:
    """The password every fixture user has."""
    return PASSWORD


@pytest.fixture
def organization(db: Any) -> Any:
    from lifebuoy.site.accounts.models import Organization

    return Organization.objects.create(name="Acme Support")


@pytest.fixture
def group(organization: Any) -> Any:
    from lifebuoy.site.accounts.models import TechnicianGroup

    return TechnicianGroup.objects.create(organization=organization, name="Help desk")


def make_user(organization: Any, email: str, role: str, group: Any = None) -> Any:
    from lifebuoy.site.accounts.models import User

    return User.objects.create_user(
        email,
        PASSWORD,
        organization=organization,
        name=email.split("@")[0],
        role=role,
        group=group,
    )


@pytest.fixture
def technician(organization: Any, group: Any) -> Any:
    return make_user(organization, "tina@acme.test", "technician", group)


@pytest.fixture
def master_admin(organization: Any) -> Any:
    return make_user(organization, "morgan@acme.test", "master_admin")


@pytest.fixture
def admin(organization: Any, group: Any) -> Any:
    user = make_user(organization, "alex@acme.test", "admin")
    user.managed_groups.add(group)
    return user


@pytest.fixture(autouse=True)
def _fast_hashing(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cheap scrypt for unit tests; ``@pytest.mark.real_hashing`` keeps N=2^17.

    The integration tests and the login benchmark always use the real cost.
    """
    if request.node.get_closest_marker("real_hashing"):
        return
    from lifebuoy.site.accounts.hashing import ScryptHasher

    monkeypatch.setattr(ScryptHasher, "work_factor", 2**10)
