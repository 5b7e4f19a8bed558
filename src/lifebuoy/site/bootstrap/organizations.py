"""Creating organizations, their first accounts, and the demo organization."""

from __future__ import annotations

import dataclasses
import secrets

from django.db import transaction

from lifebuoy.site.accounts.models import Organization, Role, TechnicianGroup, User
from lifebuoy.site.audit.chain import record

DEMO_ORGANIZATION = "Demo Help Desk"
DEMO_DOMAIN = "demo.lifebuoy.test"


@dataclasses.dataclass(frozen=True)
class NewAccount:
    email: str
    """Login ID of the account."""
    role: str
    """Its role, as shown to people."""
    one_time_password: str
    """Shown once; the user must replace it at first login."""


def one_time_password() -> str:
    # 20 characters from a 54-symbol alphabet without look-alikes: ~115 bits.
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(20))


def create_account(
    organization: Organization,
    email: str,
    name: str,
    role: Role,
    group: TechnicianGroup | None = None,
) -> NewAccount:
    password = one_time_password()
    User.objects.create_user(
        email,
        password,
        organization=organization,
        name=name,
        role=role,
        group=group,
        must_change_password=True,
    )
    record(
        "account.create",
        organization_id=organization.pk,
        actor="lifebuoy command line",
        target=email,
        detail={"role": str(role)},
    )
    return NewAccount(email, role.label, password)


def create_organization(
    name: str, admin_email: str, admin_name: str
) -> list[NewAccount]:
    with transaction.atomic():
        organization = Organization.objects.create(name=name)
        record(
            "organization.create",
            organization_id=organization.pk,
            actor="lifebuoy command line",
            target=name,
        )
        return [
            create_account(organization, admin_email, admin_name, Role.MASTER_ADMIN)
        ]


def create_demo() -> list[NewAccount] | None:
    """Create the demo organization once; None when it already exists."""
    if Organization.objects.filter(name=DEMO_ORGANIZATION).exists():
        return None
    with transaction.atomic():
        accounts = create_organization(
            DEMO_ORGANIZATION, f"master@{DEMO_DOMAIN}", "Morgan Master"
        )
        organization = Organization.objects.get(name=DEMO_ORGANIZATION)
        group = TechnicianGroup.objects.create(
            organization=organization,
            name="Help desk",
            description="First line support",
            desktop_viewing=True,
            remote_control=True,
        )
        record(
            "group.create",
            organization_id=organization.pk,
            actor="lifebuoy command line",
            target=group.name,
        )
        admin = create_account(
            organization, f"admin@{DEMO_DOMAIN}", "Alex Admin", Role.ADMIN
        )
        User.objects.get(email=admin.email).managed_groups.add(group)
        accounts.append(admin)
        for number, name in ((1, "Taylor Tech"), (2, "Jordan Tech")):
            accounts.append(
                create_account(
                    organization,
                    f"tech{number}@{DEMO_DOMAIN}",
                    name,
                    Role.TECHNICIAN,
                    group,
                )
            )
    return accounts
