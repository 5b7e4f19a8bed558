"""The numbers that bound PINs, guessing and the session log.

The defaults are chosen in docs/decisions/0009-pin-odds.md. A deployment may
override any of them with ``LIFEBUOY_SUPPORT = {"name": value}`` in Django
settings; `Limits.guess_odds` says what a change does to the odds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.conf import settings

__all__ = ["Limits", "limits"]


@dataclass(frozen=True)
class Limits:
    pin_lifetime_s: int = 20 * 60
    """How long a PIN can be entered after it was made."""
    credential_lifetime_s: int = 20 * 60
    """How long a session file admits its first join."""
    live_pins_max: int = 40
    """Site-wide cap on PINs that are unused and unexpired (L)."""
    site_wrong_guesses: int = 24
    """Wrong PINs the whole site accepts per PIN lifetime before PIN entry
    pauses for everyone (sliding window)."""
    address_wrong_guesses: int = 5
    """Wrong PINs one address may enter per ``address_window_s``."""
    address_window_s: int = 10 * 60
    """The window of the per-address limits."""
    pins_per_technician_hour: int = 20
    """PINs one technician may ask for per hour."""
    pins_per_address_hour: int = 60
    """PINs one address may ask for per hour (shared offices, NAT)."""
    channel_sessions_per_address: int = 10
    """Sessions one address may start from channel links per window."""
    events_per_batch: int = 200
    """Most events in one POST."""
    event_text_chars: int = 10_000
    """Longest event text."""
    closed_event_grace_s: int = 600
    """How long after closing the last technician may still post events."""

    @property
    def guesses_per_lifetime(self) -> int:
        """G: guesses anyone can make while one PIN lives (the wrong ones the
        budget allows, plus the one that would hit)."""
        return self.site_wrong_guesses + 1

    @property
    def guess_odds(self) -> float:
        """Upper bound of the chance that guessing hits any live PIN: G·L/10^6."""
        return self.guesses_per_lifetime * self.live_pins_max / 10**6


def limits() -> Limits:
    overrides = getattr(settings, "LIFEBUOY_SUPPORT", {}) or {}
    return dataclasses.replace(Limits(), **overrides)
