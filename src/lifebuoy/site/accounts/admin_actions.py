"""Changes to accounts that the Administration Center and the command line share.

Each one is recorded in the audit log by the caller's name.
"""

from __future__ import annotations

from django.db import transaction

from lifebuoy.site.audit.chain import record
from lifebuoy.site.bootstrap.organizations import one_time_password

from . import sessions
from .models import User


def reset_password(
    email: str, *, actor: str, actor_id: int | None = None, ip: str | None = None
) -> str | None:
    """Give the account a new one-time password and end its web sessions."""
    user = User.objects.filter(email=email).first()
    if user is None:
        return None
    password = one_time_password()
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        sessions.end_all(user)
        record(
            "account.reset_password",
            organization_id=user.organization_id,
            actor_id=actor_id,
            actor=actor,
            target=user.email,
            ip=ip,
        )
    _notify(user, "ended")
    return password


def set_enabled(user: User, enabled: bool, *, actor: User, ip: str | None) -> None:
    """Enable or disable an account; disabling ends its web sessions at once."""
    with transaction.atomic():
        user.is_active = enabled
        user.save(update_fields=["is_active"])
        if not enabled:
            sessions.end_all(user)
        record(
            "account.enable" if enabled else "account.disable",
            organization_id=user.organization_id,
            actor_id=actor.pk,
            actor=actor.email,
            target=user.email,
            ip=ip,
        )
    if not enabled:
        _notify(user, "disabled")


def _notify(user: User, reason: str) -> None:
    from lifebuoy.site.live import notify_session_ended

    notify_session_ended(user.pk, reason)
