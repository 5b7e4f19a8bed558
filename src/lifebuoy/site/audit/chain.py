"""Appending to the audit chain and verifying it."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import AuditEvent, AuditHead

__all__ = ["GENESIS", "ChainBreak", "event_hash", "record", "verify_chain"]

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
"""The previous hash of the first event."""


def event_hash(
    *,
    seq: int,
    prev_hash: str,
    at: datetime,
    organization_id: int | None,
    actor_id: int | None,
    actor: str,
    action: str,
    target: str,
    ip: str | None,
    outcome: str,
    detail: dict[str, Any],
) -> str:
    """SHA-256 over a canonical JSON array of every field of the event."""
    canonical = json.dumps(
        [
            seq,
            prev_hash,
            at.astimezone(UTC).isoformat(timespec="microseconds"),
            organization_id,
            actor_id,
            actor,
            action,
            target,
            ip,
            outcome,
            detail,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def record(
    action: str,
    *,
    outcome: str = "success",
    organization_id: int | None = None,
    actor_id: int | None = None,
    actor: str = "",
    target: str = "",
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain; concurrent writers are serialized."""
    fields: dict[str, Any] = {
        "at": timezone.now(),
        "organization_id": organization_id,
        "actor_id": actor_id,
        "actor": actor[:254],
        "action": action,
        "target": target[:254],
        "ip": ip,
        "outcome": outcome,
        "detail": detail or {},
    }
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().get(pk=1)
        seq = head.seq + 1
        digest = event_hash(seq=seq, prev_hash=head.hash, **fields)
        event = AuditEvent.objects.create(
            seq=seq, prev_hash=head.hash, hash=digest, **fields
        )
        head.seq, head.hash = seq, digest
        head.save(update_fields=["seq", "hash"])
    logger.info("audit #%d %s %s actor=%s ip=%s", seq, action, outcome, actor_id, ip)
    return event


@dataclasses.dataclass(frozen=True)
class ChainBreak:
    seq: int
    """Sequence number of the first event that does not verify."""
    reason: str
    """What is wrong there, in words an operator understands."""


def verify_chain(events: Iterable[AuditEvent] | None = None) -> ChainBreak | None:
    """Walk the chain in order; return its first broken link, or None."""
    if events is None:
        events = AuditEvent.objects.order_by("seq").iterator(chunk_size=2000)
    expected_seq, prev_hash = 1, GENESIS

    for event in events:
        if event.seq != expected_seq:
            return ChainBreak(
                expected_seq, f"event #{expected_seq} is missing (deleted)"
            )
        if event.prev_hash != prev_hash:
            return ChainBreak(
                event.seq, f"event #{event.seq} does not follow its predecessor"
            )
        if _recompute(event) != event.hash:
            return ChainBreak(
                event.seq, f"event #{event.seq} was changed after it was written"
            )
        expected_seq, prev_hash = event.seq + 1, event.hash

    head = AuditHead.objects.filter(pk=1).first()
    if head is None:
        return ChainBreak(expected_seq, "the chain head is missing")
    if head.seq != expected_seq - 1 or head.hash != prev_hash:
        return ChainBreak(
            expected_seq, f"events #{expected_seq} to #{head.seq} are missing (deleted)"
        )
    return None


def _recompute(event: AuditEvent) -> str:
    return event_hash(
        seq=event.seq,
        prev_hash=event.prev_hash,
        at=event.at,
        organization_id=event.organization_id,
        actor_id=event.actor_id,
        actor=event.actor,
        action=event.action,
        target=event.target,
        ip=event.ip,
        outcome=event.outcome,
        detail=event.detail,
    )
