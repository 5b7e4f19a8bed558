"""Issuing gateway tickets, key certificates and session policies under the
active signing key."""

from __future__ import annotations

import time
from collections.abc import Iterable

from lifebuoy.gateway.tickets import Role as TicketRole
from lifebuoy.gateway.tickets import issue_ticket
from lifebuoy.protocol import Role, issue_key_certificate, issue_policy

from .keys import current_key

TICKET_LIFETIME_S = 120
"""A ticket only has to reach the gateway; it is not a session credential."""
CERTIFICATE_LIFETIME_S = 12 * 3600
"""An ephemeral key lives as long as a long support session."""


def gateway_ticket(session_id: str, role: str, participant: str) -> str:
    key_id, private = current_key()
    return issue_ticket(
        private,
        key_id,
        session_id,
        TicketRole(role),
        participant,
        lifetime=TICKET_LIFETIME_S,
        now=time.time(),
    )


def key_certificate(
    session_id: str, role: str, participant: str, public_key: bytes
) -> bytes:
    key_id, private = current_key()
    now = int(time.time())
    return issue_key_certificate(
        private,
        key_id,
        session_id=session_id,
        role=Role[role.upper()],
        participant_id=participant,
        public_key=public_key,
        issued_at=now,
        expires_at=now + CERTIFICATE_LIFETIME_S,
    )


def session_policy(
    session_id: str, participant: str, allow: Iterable[str], single_prompt: bool
) -> str:
    """What ``participant`` may do on the customer's screen (docs/screen.md);
    valid as long as the key certificate issued with it."""
    key_id, private = current_key()
    now = int(time.time())
    return issue_policy(
        private,
        key_id,
        session_id=session_id,
        participant_id=participant,
        allow=allow,
        single_prompt=single_prompt,
        issued_at=now,
        expires_at=now + CERTIFICATE_LIFETIME_S,
    )
