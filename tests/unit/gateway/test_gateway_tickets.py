"""Tickets: issue, verify, and refuse everything else."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from lifebuoy.gateway import (
    Role,
    TicketExpired,
    TicketInvalid,
    issue_ticket,
    verify_ticket,
)
from lifebuoy.gateway.tickets import MAX_TICKET_LENGTH, TICKET_TYPE

NOW = 1_760_000_000.0
SITE_KEY = Ed25519PrivateKey.generate()
KEYS = {"k1": SITE_KEY.public_key()}


def _ticket(**overrides: object) -> str:
    arguments: dict[str, object] = {
        "private_key": SITE_KEY,
        "key_id": "k1",
        "session_id": "s-1",
        "role": Role.CUSTOMER,
        "participant": "cust-9",
        "lifetime": 120,
        "now": NOW,
    }
    arguments.update(overrides)
    return issue_ticket(**arguments)  # type: ignore[arg-type]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _resign(payload: dict[str, object], key: Ed25519PrivateKey = SITE_KEY) -> str:
    """A ticket with an arbitrary payload, correctly signed."""
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    signature = key.sign(b"lifebuoy gateway ticket v1\x00" + body)
    return f"{_b64(body)}.{_b64(signature)}"


def _payload(token: str) -> dict[str, object]:
    body = token.split(".")[0]
    decoded: dict[str, object] = json.loads(
        base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    )
    return decoded


def test_ticket_verifies_and_carries_its_claims() -> None:
    ticket = verify_ticket(_ticket(), KEYS, NOW + 1)

    assert ticket.session_id == "s-1"
    assert ticket.role is Role.CUSTOMER
    assert ticket.participant == "cust-9"
    assert ticket.key_id == "k1"
    assert ticket.expires_at == int(NOW) + 120


def test_ticket_is_compact_and_typed() -> None:
    token = _ticket()

    assert len(token) < 400
    assert "=" not in token
    assert _payload(token)["typ"] == TICKET_TYPE


def test_ticket_is_refused_once_expired() -> None:
    with pytest.raises(TicketExpired):
        verify_ticket(_ticket(), KEYS, NOW + 120)


def test_ticket_issued_in_the_future_is_refused() -> None:
    with pytest.raises(TicketInvalid):
        verify_ticket(_ticket(now=NOW + 3600), KEYS, NOW)


def test_ticket_with_unknown_key_id_is_refused() -> None:
    with pytest.raises(TicketInvalid, match="unknown key id"):
        verify_ticket(_ticket(key_id="k2"), KEYS, NOW)


def test_both_keys_verify_during_a_rotation() -> None:
    new_key = Ed25519PrivateKey.generate()
    keys = {**KEYS, "k2": new_key.public_key()}

    verify_ticket(_ticket(), keys, NOW)
    verify_ticket(_ticket(private_key=new_key, key_id="k2"), keys, NOW)


def test_ticket_signed_by_another_key_is_refused() -> None:
    token = _ticket(private_key=Ed25519PrivateKey.generate())

    with pytest.raises(TicketInvalid, match="bad signature"):
        verify_ticket(token, KEYS, NOW)


def test_tampered_payload_is_refused() -> None:
    token = _ticket(role=Role.CUSTOMER)
    payload = _payload(token)
    payload["role"] = "technician"
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    forged = f"{_b64(body)}.{token.split('.')[1]}"

    with pytest.raises(TicketInvalid, match="bad signature"):
        verify_ticket(forged, KEYS, NOW)


def test_signed_object_of_another_type_is_refused() -> None:
    payload = _payload(_ticket())
    payload["typ"] = "lifebuoy/key-certificate"

    with pytest.raises(TicketInvalid, match="known version"):
        verify_ticket(_resign(payload), KEYS, NOW)


def test_signature_over_the_bare_payload_is_refused() -> None:
    # A site signature made for another purpose, without the ticket context.
    token = _ticket()
    body = base64.urlsafe_b64decode(token.split(".")[0] + "==")
    forged = f"{token.split('.')[0]}.{_b64(SITE_KEY.sign(body))}"

    with pytest.raises(TicketInvalid, match="bad signature"):
        verify_ticket(forged, KEYS, NOW)


def test_non_canonical_payload_is_refused() -> None:
    payload = _payload(_ticket())
    body = json.dumps(payload, indent=1).encode()
    signature = SITE_KEY.sign(b"lifebuoy gateway ticket v1\x00" + body)

    with pytest.raises(TicketInvalid, match="canonical"):
        verify_ticket(f"{_b64(body)}.{_b64(signature)}", KEYS, NOW)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sid", ""),
        ("sid", "x" * 200),
        ("sid", "a b"),
        ("role", "admin"),
        ("iat", "now"),
        ("exp", 1.5),
        ("exp", True),
        ("v", 2),
    ],
)
def test_signed_but_malformed_claims_are_refused(field: str, value: object) -> None:
    payload = _payload(_ticket())
    payload[field] = value

    with pytest.raises(TicketInvalid):
        verify_ticket(_resign(payload), KEYS, NOW)


def test_extra_or_missing_fields_are_refused() -> None:
    payload = _payload(_ticket())
    with pytest.raises(TicketInvalid, match="wrong fields"):
        verify_ticket(_resign({**payload, "admin": True}), KEYS, NOW)
    del payload["pid"]
    with pytest.raises(TicketInvalid, match="wrong fields"):
        verify_ticket(_resign(payload), KEYS, NOW)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        ".",
        "..",
        "a.b.c",
        "not a ticket",
        "ab=.cd",
        "x" * (MAX_TICKET_LENGTH + 1),
        _b64(b"[" * 600) + "." + _b64(bytes(64)),
        _b64(b"null") + "." + _b64(bytes(64)),
    ],
)
def test_garbage_is_refused(garbage: str) -> None:
    with pytest.raises(TicketInvalid):
        verify_ticket(garbage, KEYS, NOW)


def test_issue_refuses_bad_identifiers() -> None:
    with pytest.raises(ValueError, match="session_id"):
        _ticket(session_id="has space")


@settings(max_examples=3000, deadline=None)
@given(
    st.one_of(
        st.text(max_size=1200),
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789-_.", max_size=400),
        st.binary(max_size=300).map(lambda b: _b64(b) + "." + _b64(bytes(64))),
        st.builds(
            lambda token, index, char: token[:index] + char + token[index + 1 :],
            st.just(_ticket()),
            st.integers(0, 200),
            st.characters(),
        ),
    )
)
def test_verify_ticket_only_ever_raises_ticket_errors(token: str) -> None:
    try:
        ticket = verify_ticket(token, KEYS, NOW)
    except (TicketInvalid, TicketExpired):
        return
    # Only the genuine ticket (or a spelling of its base64 that decodes to the
    # same bytes) may pass, and then with the genuine claims.
    assert ticket == verify_ticket(_ticket(), KEYS, NOW)
