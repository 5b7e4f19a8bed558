"""The one path by which a password is checked: ``attempt_login``.

Every attempt, whatever its outcome, costs one scrypt hash (a decoy hash for
login IDs that belong to nobody or to a disabled user), so neither the answer
nor its timing tells whether an account exists.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime

from asgiref.sync import sync_to_async
from django.utils import timezone

from lifebuoy.site.audit.chain import record

from . import lockout
from .hashing import DECOY_HASH, HashingBusy, averify
from .models import User


class Outcome(enum.Enum):
    OK = "ok"
    INVALID = "invalid"
    LOCKED = "locked"
    THROTTLED = "throttled"
    BUSY = "busy"


@dataclasses.dataclass(frozen=True)
class LoginResult:
    outcome: Outcome
    """How the attempt ended."""
    user: User | None = None
    """The user, only when the outcome is OK."""


def _find_user(login_id: str) -> User | None:
    return User.objects.select_related("organization").filter(email=login_id).first()


def _audit_failure(
    login_id: str, ip: str | None, reason: str, user: User | None
) -> None:
    record(
        "login",
        outcome="failure",
        organization_id=user.organization_id if user else None,
        actor_id=user.pk if user else None,
        actor=login_id,
        ip=ip,
        detail={"reason": reason},
    )


def _fail(login_id: str, ip: str | None, user: User | None, now: datetime) -> None:
    _audit_failure(login_id, ip, "invalid credentials", user)
    lockout.register_failure(login_id, ip, now)


def _succeed(user: User, ip: str | None) -> None:
    lockout.clear_failures(user.email)
    record(
        "login",
        organization_id=user.organization_id,
        actor_id=user.pk,
        actor=user.email,
        ip=ip,
    )


async def attempt_login(
    raw_login_id: str, password: str, ip: str | None
) -> LoginResult:
    login_id = lockout.normalize_login_id(raw_login_id)
    now = timezone.now()

    # An address that keeps failing is slowed before any hash is spent on it.
    if await sync_to_async(lockout.address_throttled)(ip, now):
        await sync_to_async(_audit_failure)(login_id, ip, "address throttled", None)
        return LoginResult(Outcome.THROTTLED)

    locked = await sync_to_async(lockout.locked_until)(login_id, now)
    user = await sync_to_async(_find_user)(login_id)
    usable = user is not None and user.is_active and user.has_usable_password()
    encoded = user.password if usable and user is not None else DECOY_HASH
    try:
        matches = await averify(password, encoded)
    except HashingBusy:
        return LoginResult(Outcome.BUSY)

    if locked is not None:
        await sync_to_async(_audit_failure)(login_id, ip, "login ID locked", user)
        return LoginResult(Outcome.LOCKED)
    if not (matches and usable and user is not None):
        await sync_to_async(_fail)(login_id, ip, user, now)
        return LoginResult(Outcome.INVALID)
    await sync_to_async(_succeed)(user, ip)
    return LoginResult(Outcome.OK, user)
