"""The tenant model: organization, technician groups (a tree), users."""

from __future__ import annotations

import hmac
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.crypto import salted_hmac

from lifebuoy.site.vault.fields import EncryptedTextField


def default_inactivity_timeout() -> int:
    return int(settings.LIFEBUOY.security.inactivity_timeout_s)


class Organization(models.Model):
    """A tenant: everything below belongs to exactly one organization."""

    name = models.CharField(max_length=120, unique=True)
    inactivity_timeout_s = models.PositiveIntegerField(
        default=default_inactivity_timeout
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


CONTROL_NEEDS_VIEWING = (
    "Remote control needs desktop viewing: allow viewing too, or turn control off."
)


class TechnicianGroup(models.Model):
    """A group of technicians; groups form a tree inside the organization."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="groups"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=500, blank=True)
    enabled = models.BooleanField(default=True)
    # What the group's technicians may do on the customer's screen
    # (docs/screen.md, "Who may do what"); signed into each session policy.
    desktop_viewing = models.BooleanField(default=True)
    remote_control = models.BooleanField(default=True)
    single_prompt = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "parent", "name"], name="unique_group_name"
            ),
            models.CheckConstraint(
                condition=models.Q(desktop_viewing=True)
                | models.Q(remote_control=False),
                name="remote_control_needs_viewing",
            ),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.remote_control and not self.desktop_viewing:
            raise ValidationError({"remote_control": CONTROL_NEEDS_VIEWING})

    @property
    def screen_actions(self) -> frozenset[str]:
        """The session policy actions this group allows (``view``, ``control``)."""
        actions = {"view"} if self.desktop_viewing else set()
        if self.desktop_viewing and self.remote_control:
            actions.add("control")
        return frozenset(actions)

    def ancestors(self) -> list[TechnicianGroup]:
        chain: list[TechnicianGroup] = []
        node = self.parent
        while node is not None and len(chain) < 64:
            chain.append(node)
            node = node.parent
        return chain

    def descendant_ids(self) -> set[int]:
        """Ids of this group and every group below it."""
        by_parent: dict[int | None, list[int]] = {}
        rows = TechnicianGroup.objects.filter(organization_id=self.organization_id)
        for group_id, parent_id in rows.values_list("id", "parent_id"):
            by_parent.setdefault(parent_id, []).append(group_id)
        found, todo = set(), [self.pk]
        while todo:
            current = todo.pop()
            if current not in found:
                found.add(current)
                todo.extend(by_parent.get(current, []))
        return found


class Role(models.TextChoices):
    MASTER_ADMIN = "master_admin", "Master administrator"
    ADMIN = "admin", "Administrator"
    TECHNICIAN = "technician", "Technician"


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None, **fields: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save()
        return user


class User(AbstractBaseUser):
    """A person who logs in: their login ID is their email address."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="users"
    )
    email = models.EmailField(unique=True)
    # scrypt at N=2^17 with a 24-character salt encodes to 131 characters,
    # over the 128 that Django's AbstractBaseUser allows.
    password = models.CharField(max_length=256)
    name = models.CharField(max_length=120)
    role = models.CharField(max_length=16, choices=Role.choices)
    group = models.ForeignKey(
        TechnicianGroup,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="technicians",
    )
    managed_groups = models.ManyToManyField(
        TechnicianGroup, blank=True, related_name="administrators"
    )
    is_active = models.BooleanField(default=True)
    must_change_password = models.BooleanField(default=False)
    session_generation = models.PositiveIntegerField(default=0)
    mfa_secret = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["name"]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def is_master_admin(self) -> bool:
        return self.role == Role.MASTER_ADMIN

    @property
    def is_administrator(self) -> bool:
        return self.role in (Role.MASTER_ADMIN, Role.ADMIN)

    @property
    def is_technician(self) -> bool:
        return self.role == Role.TECHNICIAN

    def get_session_auth_hash(self) -> str:
        # Bumping ``session_generation`` invalidates every web session of the
        # user at their next request, like a password change does.
        return salted_hmac(
            "lifebuoy.accounts.session",
            f"{self.password}:{self.session_generation}",
            algorithm="sha256",
        ).hexdigest()

    def session_hash_matches(self, value: str) -> bool:
        return hmac.compare_digest(value, self.get_session_auth_hash())

    def manageable_group_ids(self) -> set[int]:
        """Groups this user may administer: all for a master administrator."""
        if self.is_master_admin:
            return set(
                TechnicianGroup.objects.filter(
                    organization_id=self.organization_id
                ).values_list("id", flat=True)
            )
        if self.role != Role.ADMIN:
            return set()
        ids: set[int] = set()
        for group in self.managed_groups.all():
            ids |= group.descendant_ids()
        return ids


class LoginFailure(models.Model):
    """A failed login, counted per login ID and per address for lockout."""

    login_id = models.CharField(max_length=254, db_index=True)
    ip = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"failed login for {self.login_id}"


class LoginLock(models.Model):
    """A login ID that is locked until ``until``, whether or not it exists."""

    login_id = models.CharField(max_length=254, unique=True)
    until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.login_id} locked until {self.until:%Y-%m-%d %H:%M}"


class WebSession(models.Model):
    """A web session key of a user, so that disabling them can end it at once."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="web_sessions"
    )
    session_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"web session of user {self.user_id}"
