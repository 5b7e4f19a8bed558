"""Counting failed logins per login ID and per address, and locking.

A login ID is locked after ``login_max_failures`` failures within
``login_failure_window_s``, for ``login_lockout_s``. Login IDs that belong to
nobody are counted and locked the same way, so that the lock tells nothing
about whether an account exists.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from lifebuoy.site.audit.chain import record

from .models import LoginFailure, LoginLock

_SECURITY = settings.LIFEBUOY.security


def normalize_login_id(text: str) -> str:
    return text.strip().lower()[:254]


def locked_until(login_id: str, now: datetime) -> datetime | None:
    lock = LoginLock.objects.filter(login_id=login_id, until__gt=now).first()
    return lock.until if lock else None


def address_throttled(ip: str | None, now: datetime) -> bool:
    if ip is None:
        return False
    since = now - timedelta(seconds=_SECURITY.login_failure_window_s)
    recent = LoginFailure.objects.filter(ip=ip, at__gt=since).count()
    return recent >= _SECURITY.address_max_failures


def register_failure(login_id: str, ip: str | None, now: datetime) -> datetime | None:
    """Count one failure; lock the login ID when it reaches the limit.

    Returns the end of a lock that this failure started, or None.
    """
    window = timedelta(seconds=_SECURITY.login_failure_window_s)
    with transaction.atomic():
        LoginFailure.objects.filter(at__lt=now - window).delete()
        LoginFailure.objects.create(login_id=login_id, ip=ip, at=now)
        failures = LoginFailure.objects.filter(login_id=login_id, at__gt=now - window)
        if failures.count() < _SECURITY.login_max_failures:
            return None
        until = now + timedelta(seconds=_SECURITY.login_lockout_s)
        LoginLock.objects.update_or_create(login_id=login_id, defaults={"until": until})
        failures.delete()
        record(
            "login.lockout",
            outcome="locked",
            actor=login_id,
            ip=ip,
            detail={"until": until.isoformat()},
        )
    return until


def clear_failures(login_id: str) -> None:
    LoginFailure.objects.filter(login_id=login_id).delete()
    LoginLock.objects.filter(login_id=login_id).delete()
