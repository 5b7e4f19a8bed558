"""PINs: making them for technicians, and checking what customers type.

A PIN is stored only as an HMAC of its six digits under the site's secret
key. Guessing is bounded twice: per address, and site-wide, where a budget of
wrong PINs per PIN lifetime caps the guesses anyone can make while a PIN
lives (docs/decisions/0009-pin-odds.md).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from lifebuoy.site.accounts.models import User

from . import throttle
from .entry import welcome
from .errors import BadInput, NotFound, TooMany
from .limits import limits
from .models import Attempt, Pin, State, SupportSession
from .notify import queue_changed
from .queues import sweep

__all__ = ["check_pin_format", "create_pin", "redeem_pin"]

logger = logging.getLogger(__name__)

WRONG_PIN = (
    "No support session has this PIN. Check the six digits with your technician."
)
USED_PIN = "This PIN has already been used. Ask your technician for a new one."
EXPIRED_PIN = "This PIN has expired. Ask your technician for a new one."


def digest(digits: str) -> str:
    return salted_hmac("lifebuoy.support.pin", digits, algorithm="sha256").hexdigest()


def check_pin_format(text: str) -> str:
    """The six digits of what a customer typed (spaces and dashes allowed)."""
    digits = "".join(ch for ch in text if ch not in " -")
    if len(digits) != 6 or not (digits.isascii() and digits.isdigit()):
        raise BadInput("Enter the six digits of your PIN.")
    return digits


def _live_pins(now: datetime) -> QuerySet[Pin]:
    return Pin.objects.filter(
        used_at=None, expires_at__gt=now, session__state=State.WAITING
    )


def _check_issue_limits(user: User, ip: str | None, now: datetime) -> None:
    rules = limits()
    per_user = throttle.Window(
        Attempt.Kind.PIN_ISSUED, 3600, rules.pins_per_technician_hour
    )
    if (wait := per_user.wait(now, user=user)) > 0:
        raise TooMany(
            f"You have asked for {per_user.limit} PINs in the last hour.", wait
        )
    per_address = throttle.Window(
        Attempt.Kind.PIN_ISSUED, 3600, rules.pins_per_address_hour
    )
    if ip is not None and (wait := per_address.wait(now, ip=ip)) > 0:
        raise TooMany("Too many PINs were asked for from this address.", wait)

    live = _live_pins(now)
    if live.count() >= rules.live_pins_max:
        first_expiry = live.order_by("expires_at").values_list("expires_at", flat=True)[
            0
        ]
        raise TooMany(
            f"The site already has {rules.live_pins_max} PINs waiting for customers.",
            (first_expiry - now).total_seconds(),
        )


def create_pin(user: User, ip: str | None) -> tuple[SupportSession, str, datetime]:
    """A waiting session in the technician's private queue, and its PIN."""
    now = timezone.now()
    sweep(now)
    rules = limits()
    with transaction.atomic():
        _check_issue_limits(user, ip, now)
        digits = _unused_digits(now)
        session = SupportSession.objects.create(
            organization_id=user.organization_id,
            state=State.WAITING,
            queue_owner=user,
            waiting_since=now,
        )
        expires_at = now + timedelta(seconds=rules.pin_lifetime_s)
        Pin.objects.create(
            session=session,
            digest=digest(digits),
            created_by=user,
            expires_at=expires_at,
        )
        throttle.note(Attempt.Kind.PIN_ISSUED, now, ip=ip, user=user)
        queue_changed(session)
    logger.info("PIN made for session %s by user %s", session.public_id, user.pk)
    return session, digits, expires_at


def _unused_digits(now: datetime) -> str:
    # Two live PINs never share digits; at most live_pins_max are taken.
    for _ in range(50):
        digits = f"{secrets.randbelow(10**6):06d}"
        if not _live_pins(now).filter(digest=digest(digits)).exists():
            return digits
    raise RuntimeError("no free PIN found in 50 draws")


def _check_guess_limits(ip: str | None, now: datetime) -> None:
    rules = limits()
    per_address = throttle.Window(
        Attempt.Kind.WRONG_PIN, rules.address_window_s, rules.address_wrong_guesses
    )
    if ip is not None and (wait := per_address.wait(now, ip=ip)) > 0:
        raise TooMany("You have entered too many wrong PINs.", wait)
    site_wide = throttle.Window(
        Attempt.Kind.WRONG_PIN, rules.pin_lifetime_s, rules.site_wrong_guesses
    )
    if (wait := site_wide.wait(now)) > 0:
        logger.warning("PIN entry paused: %d wrong PINs site-wide", site_wide.limit)
        raise TooMany("Too many wrong PINs were entered on this site recently.", wait)


def redeem_pin(
    digits: str, ip: str | None, name: str, problem: str
) -> tuple[SupportSession, str]:
    """Enter a PIN: the session and its session credential. A wrong, used or
    expired PIN is counted against the address and the site."""
    now = timezone.now()
    _check_guess_limits(ip, now)

    with transaction.atomic():
        pin = (
            Pin.objects.select_for_update()
            .select_related("session")
            .filter(digest=digest(digits))
            .order_by("-created_at")
            .first()
        )
        refusal = _pin_problem(pin, now)
        if refusal is None and pin is not None:
            pin.used_at = now
            pin.save(update_fields=["used_at"])
            return pin.session, welcome(pin.session, name, problem, now)

    _count_wrong(ip, now)
    raise NotFound(refusal or WRONG_PIN)


def _pin_problem(pin: Pin | None, now: datetime) -> str | None:
    if pin is None:
        return WRONG_PIN
    if pin.used_at is not None or pin.session.state != State.WAITING:
        return USED_PIN
    if pin.expires_at <= now:
        return EXPIRED_PIN
    return None


def _count_wrong(ip: str | None, now: datetime) -> None:
    throttle.note(Attempt.Kind.WRONG_PIN, now, ip=ip)
    throttle.forget_before(now, max(limits().pin_lifetime_s, 3600))
