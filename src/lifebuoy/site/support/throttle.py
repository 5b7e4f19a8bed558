"""Counting attempts in sliding windows.

The counts live in the database, so every site node sees the same numbers
and a restart forgets nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet

from lifebuoy.site.accounts.models import User

from .models import Attempt

__all__ = ["Window", "forget_before", "note"]


@dataclass(frozen=True)
class Window:
    """At most ``limit`` attempts of one kind in any ``seconds``."""

    kind: str
    """An `Attempt.Kind`."""
    seconds: int
    """Length of the sliding window."""
    limit: int
    """Attempts allowed in it."""

    def _rows(
        self, now: datetime, ip: str | None, user: User | None
    ) -> QuerySet[Attempt]:
        since = now - timedelta(seconds=self.seconds)
        rows = Attempt.objects.filter(kind=self.kind, at__gt=since)
        if ip is not None:
            rows = rows.filter(ip=ip)
        if user is not None:
            rows = rows.filter(user=user)
        return rows

    def wait(
        self, now: datetime, *, ip: str | None = None, user: User | None = None
    ) -> float:
        """Seconds until one more attempt fits; 0 when it fits now."""
        rows = self._rows(now, ip, user)
        seen = rows.count()
        if seen < self.limit:
            return 0.0

        # The attempt whose ageing out makes room for one more.
        freeing = rows.order_by("at").values_list("at", flat=True)[seen - self.limit]
        ends = freeing + timedelta(seconds=self.seconds)
        return max(1.0, (ends - now).total_seconds())


def note(
    kind: str, now: datetime, *, ip: str | None = None, user: User | None = None
) -> None:
    Attempt.objects.create(kind=kind, ip=ip, user=user, at=now)


def forget_before(now: datetime, seconds: int) -> None:
    """Drop attempts older than the longest window."""
    Attempt.objects.filter(at__lt=now - timedelta(seconds=seconds)).delete()
