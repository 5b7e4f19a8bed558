"""The site's signing keys: sealed at rest, usable by gateway and channel,
rotatable with an overlap during which both keys verify."""

from __future__ import annotations

import base64
import time
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.db import connection
from django.test import Client
from django.utils import timezone

from lifebuoy.gateway.tickets import Role as TicketRole
from lifebuoy.gateway.tickets import TicketInvalid, verify_ticket
from lifebuoy.protocol import BadCertificate, Role, verify_key_certificate
from lifebuoy.site.signing import keys
from lifebuoy.site.signing.issue import gateway_ticket, key_certificate
from lifebuoy.site.signing.models import SigningKey

pytestmark = pytest.mark.django_db


def _x25519_public() -> bytes:
    return (
        X25519PrivateKey.generate()
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )


def test_private_signing_key_is_stored_only_sealed() -> None:
    key_id, private = keys.current_key()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT private_key FROM signing_signingkey WHERE key_id = %s", [key_id]
        )
        (stored,) = cursor.fetchone()
    raw = private.private_bytes_raw()
    assert stored.startswith("lbv1$")
    assert base64.b64encode(raw).decode() not in stored


def test_ticket_verifies_at_the_gateway_with_the_published_keys() -> None:
    token = gateway_ticket("session-1", "customer", "customer-7")
    ticket = verify_ticket(token, keys.verification_keys(), time.time())
    assert (ticket.session_id, ticket.role, ticket.participant) == (
        "session-1",
        TicketRole.CUSTOMER,
        "customer-7",
    )


def test_key_certificate_verifies_in_the_channel() -> None:
    public = _x25519_public()
    certificate = key_certificate("session-1", "technician", "tech-3", public)
    checked = verify_key_certificate(certificate, keys.verification_keys(), time.time())
    assert checked.public_key == public
    assert checked.role == Role.TECHNICIAN
    assert checked.session_id == "session-1"


def test_rotation_keeps_the_old_key_verifying_during_the_overlap_only() -> None:
    old_token = gateway_ticket("session-1", "customer", "customer-7")
    old_certificate = key_certificate("session-1", "customer", "c", _x25519_public())

    old_id, new_id = keys.rotate(timedelta(hours=1))
    assert old_id is not None
    assert old_id != new_id
    assert set(keys.public_keys()) == {old_id, new_id}
    verify_ticket(old_token, keys.verification_keys(), time.time())
    verify_key_certificate(old_certificate, keys.verification_keys(), time.time())
    assert keys.current_key()[0] == new_id

    later = timezone.now() + timedelta(hours=2)
    assert set(keys.public_keys(later)) == {new_id}
    with pytest.raises(TicketInvalid):
        verify_ticket(old_token, keys.verification_keys(later), time.time())
    with pytest.raises(BadCertificate):
        verify_key_certificate(
            old_certificate, keys.verification_keys(later), time.time()
        )


def test_rotation_is_audited() -> None:
    from lifebuoy.site.audit.models import AuditEvent

    keys.current_key()
    _, new_id = keys.rotate(timedelta(minutes=5))
    event = AuditEvent.objects.get(action="signing_key.rotate")
    assert event.target == new_id


def test_public_keys_are_published_over_the_api(client: Any) -> None:
    response = Client(secure=True).get("/api/v1/signing-keys")
    assert response.status_code == 200
    published = response.json()["keys"]
    row = SigningKey.objects.get(active=True)
    assert published == {row.key_id: row.public_key}
