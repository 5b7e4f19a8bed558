"""Validating and storing gateway reports."""

from __future__ import annotations

import datetime as dt
import hmac
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings

from .models import RelayEvent

logger = logging.getLogger(__name__)

KINDS = {"waiting", "paired", "left", "returned", "closed"}
MAX_BATCH = 1000


class BadReport(ValueError):
    """A report that does not have the shape gateways send."""


def token_path() -> Path:
    return Path(settings.LIFEBUOY.data_dir) / "secrets" / "gateway-report.token"


def token_matches(presented: str) -> bool:
    path = token_path()
    try:
        expected = path.read_text(encoding="ascii").strip()
    except OSError:
        return False
    return bool(expected) and hmac.compare_digest(presented.encode(), expected.encode())


def _text(item: Mapping[str, Any], key: str, limit: int) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise BadReport(f"{key} must be a string of at most {limit} characters")
    return value


def _count(item: Mapping[str, Any], key: str) -> int:
    value = item.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadReport(f"{key} must be a non-negative integer")
    return value


def _event(item: Any, source: str) -> RelayEvent:
    if not isinstance(item, dict):
        raise BadReport("each event must be an object")
    kind = _text(item, "kind", 16)
    if kind not in KINDS:
        raise BadReport(f"kind must be one of {', '.join(sorted(KINDS))}")
    at = item.get("at")
    if not isinstance(at, int | float) or isinstance(at, bool):
        raise BadReport("at must be seconds since the epoch")
    return RelayEvent(
        source=source,
        session_id=_text(item, "session_id", 128) or "?",
        kind=kind,
        role=_text(item, "role", 16),
        participant=_text(item, "participant", 128),
        reason=_text(item, "reason", 200),
        bytes_from_customer=_count(item, "bytes_from_customer"),
        bytes_from_technician=_count(item, "bytes_from_technician"),
        at=dt.datetime.fromtimestamp(float(at), tz=dt.UTC),
    )


def store(items: Iterable[Any], source: str) -> int:
    """Check every event first, then store them all; returns how many."""
    batch = list(items)
    if len(batch) > MAX_BATCH:
        raise BadReport(f"at most {MAX_BATCH} events per report")
    events = [_event(item, source) for item in batch]
    RelayEvent.objects.bulk_create(events)
    return len(events)
