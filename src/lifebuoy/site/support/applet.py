"""What the applet may do with its session credential: join, get a fresh
ticket, leave."""

from __future__ import annotations

import base64
import logging
import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lifebuoy.site.signing.issue import gateway_ticket, key_certificate

from .credentials import read_credential
from .errors import Conflict, NotAuthenticated
from .events import record_event
from .models import EventKind, SupportSession
from .notify import queue_changed
from .queues import close_session

__all__ = ["authenticate", "join", "leave", "ticket"]

logger = logging.getLogger(__name__)

CLOSED = "This support session has ended."
EXPIRED = "The session file has expired. Enter your PIN or open the link again."
HOST_CHARS = 255


def authenticate(header: str) -> SupportSession:
    """The session a ``Bearer`` credential admits to, row-locked (call inside a
    transaction); NotAuthenticated when it does not."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Send the session credential as a Bearer token.")
    credential = read_credential(token.strip())

    session = (
        SupportSession.objects.select_for_update()
        .filter(public_id=credential.session_id)
        .first()
    )
    if session is None or session.credential_jti != credential.jti:
        raise NotAuthenticated(CLOSED if session else EXPIRED)
    if not session.is_open:
        raise NotAuthenticated(CLOSED)
    if session.joined_at is None and time.time() >= credential.expires_at:
        raise NotAuthenticated(EXPIRED)
    return session


def join(
    session: SupportSession, public_key: bytes, host: str, os: str
) -> dict[str, Any]:
    """A new customer participant with a new key: ticket and certificate."""
    now = timezone.now()
    session.customer_joins += 1
    session.joined_at = session.joined_at or now
    session.hostname, session.os = host[:HOST_CHARS], os[:HOST_CHARS]
    session.save(update_fields=["customer_joins", "joined_at", "hostname", "os"])
    queue_changed(session)

    participant = session.customer_participant
    certificate = key_certificate(
        session.public_id, "customer", participant, public_key
    )
    logger.info("applet joined session %s as %s", session.public_id, participant)
    return {
        "ticket": gateway_ticket(session.public_id, "customer", participant),
        "certificate": base64.b64encode(certificate).decode("ascii"),
        "participant": participant,
        "gateways": list(settings.LIFEBUOY.gateway_urls),
    }


def ticket(session: SupportSession) -> dict[str, Any]:
    if session.customer_joins == 0:
        raise Conflict("Join the session first.")
    participant = session.customer_participant
    return {"ticket": gateway_ticket(session.public_id, "customer", participant)}


def leave(session: SupportSession, reason: str) -> None:
    with transaction.atomic():
        record_event(session, EventKind.CLOSE, session.customer_participant, reason)
        # The applet's own reason usually says it already ("customer ended").
        said = (
            reason
            if reason.startswith("customer ended")
            else f"customer ended: {reason}"
        )
        close_session(session, said.rstrip(": ")[:200], timezone.now())
