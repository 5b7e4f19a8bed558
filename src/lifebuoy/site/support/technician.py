"""What a technician does with a session: pick up, hold, transfer, close.

Every function takes the acting technician and the session's public id and
finds the session only within their reach (queues.in_reach), so permission
is checked on the object, on the server, every time.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lifebuoy.site.accounts.models import Role, TechnicianGroup, User
from lifebuoy.site.audit.chain import record
from lifebuoy.site.signing.issue import (
    gateway_ticket,
    key_certificate,
    session_policy,
)
from lifebuoy.site.signing.keys import public_keys

from .errors import BadInput, Conflict, NotFound
from .events import record_event
from .models import EventKind, SessionTechnician, State, SupportSession
from .notify import audience, queue_changed
from .queues import as_json, close_session, session_in_reach

__all__ = [
    "Actor",
    "close",
    "hold",
    "pickup",
    "refresh_ticket",
    "screen_permissions",
    "transfer",
]

logger = logging.getLogger(__name__)

NOTE_CHARS = 1000
REASON_CHARS = 200
_HELD = (State.ACTIVE, State.ON_HOLD)


@dataclass(frozen=True)
class Actor:
    """The technician making a request, and from where."""

    user: User
    """A technician (checked by the API)."""
    ip: str | None
    """The request's peer address, for the audit log."""

    @property
    def participant(self) -> str:
        return f"technician-{self.user.pk}"

    def audit(self, action: str, session: SupportSession, **detail: Any) -> None:
        record(
            action,
            organization_id=self.user.organization_id,
            actor_id=self.user.pk,
            actor=self.user.email,
            target=session.public_id,
            ip=self.ip,
            detail=detail,
        )


def _held(actor: Actor, public_id: str) -> SupportSession:
    session = session_in_reach(actor.user, public_id)
    if session.technician_id != actor.user.pk or session.state not in _HELD:
        raise Conflict("Pick the session up first.")
    return session


def screen_permissions(user: User) -> tuple[frozenset[str], bool]:
    """The screen actions and the single-prompt option for the session policy.

    They come from the technician's groups: the union of what they allow, and
    a single prompt only when every one of them asks for it. A technician
    belongs to one group (``User.group``), so today that is their group. A
    session waiting in a group's shared queue is only within reach of that
    group's members, so its queue group and the technician's group are the
    same; when they differ (the technician's group was changed after the
    session was routed), the technician's own group counts. Without a group,
    only chat.
    """
    groups = [user.group] if user.group is not None else []
    allow = frozenset[str]().union(*(group.screen_actions for group in groups))
    single_prompt = bool(groups) and all(group.single_prompt for group in groups)
    return allow, single_prompt


def pickup(actor: Actor, public_id: str, public_key: bytes) -> dict[str, Any]:
    with transaction.atomic():
        session = session_in_reach(actor.user, public_id)
        again = session.technician_id == actor.user.pk and session.state in _HELD
        if not again:
            now = timezone.now()
            session.state, session.technician = State.ACTIVE, actor.user
            session.picked_up_at = now
            session.save(update_fields=["state", "technician", "picked_up_at"])
            SessionTechnician.objects.get_or_create(
                session=session, user=actor.user, defaults={"first_pickup_at": now}
            )
            record_event(session, EventKind.PICKUP, actor.user.name)
            actor.audit("support.pickup", session)
            queue_changed(session)

    participant = actor.participant
    certificate = key_certificate(
        session.public_id, "technician", participant, public_key
    )
    allow, single_prompt = screen_permissions(actor.user)
    policy = session_policy(session.public_id, participant, allow, single_prompt)
    logger.info("session %s picked up by %s", session.public_id, participant)
    return {
        "ticket": gateway_ticket(session.public_id, "technician", participant),
        "certificate": base64.b64encode(certificate).decode("ascii"),
        "policy": policy,
        "gateways": list(settings.LIFEBUOY.gateway_urls),
        "signing_keys": public_keys(),
        "participant": participant,
        "session": as_json(session),
    }


def refresh_ticket(actor: Actor, public_id: str) -> dict[str, Any]:
    with transaction.atomic():
        session = _held(actor, public_id)
    ticket = gateway_ticket(session.public_id, "technician", actor.participant)
    return {"ticket": ticket}


def hold(actor: Actor, public_id: str, on_hold: bool) -> SupportSession:
    with transaction.atomic():
        session = _held(actor, public_id)
        wanted = State.ON_HOLD if on_hold else State.ACTIVE
        if session.state != wanted:
            session.state = wanted
            session.save(update_fields=["state"])
            kind = EventKind.HOLD if on_hold else EventKind.UNHOLD
            record_event(session, kind, actor.user.name)
            queue_changed(session)
    return session


def _target(
    actor: Actor, email: Any, group_id: Any
) -> tuple[User | None, TechnicianGroup | None]:
    if (email is None) == (group_id is None):
        raise BadInput("Give either technician (an email) or group (an id).")
    organization_id = actor.user.organization_id
    if email is not None:
        if not isinstance(email, str) or len(email) > 254:
            raise BadInput("technician must be an email address.")
        user = User.objects.filter(
            organization_id=organization_id,
            email__iexact=email.strip(),
            role=Role.TECHNICIAN,
            is_active=True,
        ).first()
        if user is None:
            raise NotFound("No active technician with this email in your organization.")
        return user, None
    if type(group_id) is not int or not 0 < group_id < 2**63:
        raise BadInput("group must be a group id (a number).")
    group = TechnicianGroup.objects.filter(
        organization_id=organization_id, pk=group_id, enabled=True
    ).first()
    if group is None:
        raise NotFound("No enabled technician group with this id in your organization.")
    return None, group


def transfer(
    actor: Actor, public_id: str, email: Any, group_id: Any, note: Any
) -> SupportSession:
    if not isinstance(note, str) or len(note) > NOTE_CHARS:
        raise BadInput(f"note must be text of at most {NOTE_CHARS} characters.")
    user, group = _target(actor, email, group_id)

    with transaction.atomic():
        session = _held(actor, public_id)
        before = audience(session)
        session.state, session.technician = State.WAITING, None
        session.queue_owner, session.queue_group = user, group
        session.waiting_since, session.transfer_note = timezone.now(), note
        session.save(
            update_fields=[
                "state",
                "technician",
                "queue_owner",
                "queue_group",
                "waiting_since",
                "transfer_note",
            ]
        )
        to = user.email if user else f"group {group.pk if group else ''}"
        record_event(session, EventKind.TRANSFER, actor.user.name, f"to {to}: {note}")
        actor.audit("support.transfer", session, to=to)
        queue_changed(session, before=before)
    return session


def close(actor: Actor, public_id: str, reason: Any) -> SupportSession:
    if not isinstance(reason, str) or len(reason) > REASON_CHARS:
        raise BadInput(f"reason must be text of at most {REASON_CHARS} characters.")
    with transaction.atomic():
        session = session_in_reach(actor.user, public_id)
        mine = session.technician_id == actor.user.pk
        if not mine and session.queue_owner_id != actor.user.pk:
            raise Conflict("Only the technician who has the session can close it.")
        # The last technician stays on the record of a closed session.
        session.technician = actor.user
        session.save(update_fields=["technician"])
        record_event(session, EventKind.CLOSE, actor.user.name, reason)
        close_session(session, reason or "ended", timezone.now())
        actor.audit("support.close", session, reason=reason)
    return session
