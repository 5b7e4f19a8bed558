"""Session policies (docs/screen.md): format, signature, validity, fuzzing."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifebuoy.protocol import (
    PolicyError,
    Role,
    SessionPolicy,
    issue_key_certificate,
    issue_policy,
    verify_policy,
)
from lifebuoy.protocol.policy import CONTEXT, MAX_TOKEN_CHARS

NOW = 1_796_300_000
KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()
KEYS = {"k1": KEY.public_key()}
FUZZ = settings(
    max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck)
)


def make(**changes: Any) -> str:
    fields: dict[str, Any] = {
        "session_id": "s_abc",
        "participant_id": "technician-7",
        "allow": ["view", "control"],
        "single_prompt": False,
        "issued_at": NOW,
        "expires_at": NOW + 3600,
    }
    fields.update(changes)
    return issue_policy(KEY, "k1", **fields)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signed(body: dict[str, Any], key: Ed25519PrivateKey = KEY) -> str:
    payload = json.dumps(body, separators=(",", ":")).encode()
    return f"{b64(payload)}.{b64(key.sign(CONTEXT + payload))}"


def body_of(token: str) -> dict[str, Any]:
    return json.loads(unb64(token.split(".")[0]))  # type: ignore[no-any-return]


def test_policy_round_trips() -> None:
    policy = verify_policy(make(single_prompt=True), KEYS, NOW)

    assert policy == SessionPolicy(
        key_id="k1",
        session_id="s_abc",
        participant_id="technician-7",
        issued_at=NOW,
        expires_at=NOW + 3600,
        allow=frozenset({"view", "control"}),
        single_prompt=True,
    )
    assert policy.allows("view")
    assert policy.allows("control")
    assert not policy.allows("files")


def test_policy_payload_is_compact_json_in_the_documented_order() -> None:
    token = make()
    payload, signature = token.split(".")

    assert "=" not in token
    assert unb64(payload).decode() == (
        '{"v":1,"kid":"k1","session":"s_abc","participant":"technician-7",'
        f'"iat":{NOW},"exp":{NOW + 3600},"allow":["view","control"],'
        '"single_prompt":false}'
    )
    KEY.public_key().verify(unb64(signature), CONTEXT + unb64(payload))


def test_control_needs_view_too() -> None:
    policy = verify_policy(make(allow=["control"]), KEYS, NOW)

    assert policy.allow == {"control"}
    assert not policy.allows("control")
    assert not policy.allows("view")


def test_view_only_policy_allows_no_control() -> None:
    policy = verify_policy(make(allow=["view"]), KEYS, NOW)

    assert policy.allows("view")
    assert not policy.allows("control")


def test_unknown_actions_are_dropped_on_verify() -> None:
    body = body_of(make())
    body["allow"] = ["view", "files", "control", "reboot"]

    policy = verify_policy(signed(body), KEYS, NOW)

    assert policy.allow == {"view", "control"}


def test_issue_refuses_unknown_actions_and_bad_times() -> None:
    with pytest.raises(ValueError, match="unknown actions"):
        make(allow=["view", "files"])
    with pytest.raises(ValueError, match="issued_at < expires_at"):
        make(issued_at=NOW, expires_at=NOW)
    with pytest.raises(ValueError, match="session_id must be"):
        make(session_id="")


@pytest.mark.parametrize(
    ("now", "valid"),
    [
        (NOW - 300, True),
        (NOW - 301, False),
        (NOW + 3600 + 299, True),
        (NOW + 3600 + 300, False),
    ],
)
def test_validity_period_allows_the_clock_skew(now: float, valid: bool) -> None:
    if valid:
        verify_policy(make(), KEYS, now)
    else:
        with pytest.raises(PolicyError, match=r"expired|not valid yet"):
            verify_policy(make(), KEYS, now)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("v", 2),
        ("kid", "k2"),
        ("session", "s_other"),
        ("participant", "technician-8"),
        ("iat", NOW - 1),
        ("exp", NOW + 7200),
        ("allow", ["view"]),
        ("single_prompt", True),
    ],
)
def test_tampering_with_any_field_breaks_the_signature(field: str, value: Any) -> None:
    token = make()
    body = body_of(token)
    body[field] = value
    payload = json.dumps(body, separators=(",", ":")).encode()
    forged = f"{b64(payload)}.{token.split('.')[1]}"

    keys = {**KEYS, "k2": KEY.public_key()}
    with pytest.raises(PolicyError, match="does not verify"):
        verify_policy(forged, keys, NOW)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("v", 2, "version"),
        ("v", True, "integer"),
        ("v", "1", "integer"),
        ("iat", 1.5, "integer"),
        ("iat", "now", "integer"),
        ("exp", None, "integer"),
        ("exp", NOW - 10, "out of order"),
        ("session", 5, "'session'"),
        ("session", "", "'session'"),
        ("participant", ["technician-7"], "'participant'"),
        ("allow", "view", "list of text"),
        ("allow", ["view", 1], "list of text"),
        ("allow", {"view": True}, "list of text"),
        ("single_prompt", 0, "true or false"),
        ("single_prompt", "false", "true or false"),
    ],
)
def test_signed_policy_with_wrong_field_types_is_refused(
    field: str, value: Any, message: str
) -> None:
    body = body_of(make())
    body[field] = value

    with pytest.raises(PolicyError, match=message):
        verify_policy(signed(body), KEYS, NOW)


def test_missing_field_is_refused() -> None:
    for field in ("v", "session", "participant", "iat", "exp", "allow"):
        body = body_of(make())
        del body[field]
        with pytest.raises(PolicyError):
            verify_policy(signed(body), KEYS, NOW)


def test_unknown_key_is_refused() -> None:
    with pytest.raises(PolicyError, match="unknown key"):
        verify_policy(make(), {"k2": KEY.public_key()}, NOW)


def test_signature_by_another_key_with_the_same_id_is_refused() -> None:
    with pytest.raises(PolicyError, match="does not verify"):
        verify_policy(signed(body_of(make()), OTHER), KEYS, NOW)


def test_both_keys_verify_during_a_rotation() -> None:
    keys = {"k1": KEY.public_key(), "k2": OTHER.public_key()}
    old = make()
    new = issue_policy(
        OTHER,
        "k2",
        session_id="s_abc",
        participant_id="technician-7",
        allow=["view"],
        single_prompt=False,
        issued_at=NOW,
        expires_at=NOW + 60,
    )

    assert verify_policy(old, keys, NOW).key_id == "k1"
    assert verify_policy(new, keys, NOW).key_id == "k2"
    with pytest.raises(PolicyError):
        verify_policy(new, {"k1": KEY.public_key(), "k2": KEY.public_key()}, NOW)


def test_a_key_certificate_signature_is_not_a_policy_signature() -> None:
    # The same site key signs both; the prefixes keep them apart.
    payload = json.dumps(body_of(make()), separators=(",", ":")).encode()
    certificate = issue_key_certificate(
        KEY,
        "k1",
        session_id="s_abc",
        role=Role.TECHNICIAN,
        participant_id="technician-7",
        public_key=X25519PrivateKey.generate().public_key().public_bytes_raw(),
        issued_at=NOW,
        expires_at=NOW + 3600,
    )
    cert_signature = certificate[-64:]
    raw_signature = KEY.sign(payload)

    for signature in (cert_signature, raw_signature):
        with pytest.raises(PolicyError, match="does not verify"):
            verify_policy(f"{b64(payload)}.{b64(signature)}", KEYS, NOW)


@pytest.mark.parametrize(
    "token",
    [
        "",
        ".",
        "abc",
        "a.b.c",
        "!!!.abc",
        "abcd=.abcd",
        "a.abcd",
        "abcd.abcd",
        b64(b"[1,2]") + "." + b64(bytes(64)),
        b64(b"\xff\xfe") + "." + b64(bytes(64)),
        b64(b'{"kid":"k1"') + "." + b64(bytes(64)),
        b64(b'{"kid":5}') + "." + b64(bytes(64)),
        b64(b'{"kid":"k1"}') + "." + b64(bytes(63)),
        b64(b"[" * 5000)[:4000] + "." + b64(bytes(64)),
    ],
)
def test_malformed_policies_raise_policy_error(token: str) -> None:
    with pytest.raises(PolicyError):
        verify_policy(token, KEYS, NOW)


def test_non_canonical_base64_is_refused() -> None:
    payload, signature = make().split(".")
    # The last character of an unpadded group carries spare bits; flip them.
    last = signature[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    changed = alphabet[alphabet.index(last) ^ 1]
    assert unb64(signature[:-1] + changed) == unb64(signature)

    with pytest.raises(PolicyError, match="canonical"):
        verify_policy(f"{payload}.{signature[:-1]}{changed}", KEYS, NOW)


def test_oversized_policy_is_refused_before_decoding() -> None:
    body = body_of(make())
    body["padding"] = "x" * MAX_TOKEN_CHARS
    with pytest.raises(PolicyError, match="too long"):
        verify_policy(signed(body), KEYS, NOW)
    with pytest.raises(PolicyError, match="too long"):
        verify_policy(b"not text", KEYS, NOW)  # type: ignore[arg-type]


@FUZZ
@given(st.text(max_size=200))
def test_random_text_only_ever_raises_policy_error(token: str) -> None:
    with pytest.raises(PolicyError):
        verify_policy(token, KEYS, NOW)


@FUZZ
@given(st.binary(max_size=200), st.binary(max_size=100))
def test_random_encoded_bytes_only_ever_raise_policy_error(
    payload: bytes, signature: bytes
) -> None:
    with pytest.raises(PolicyError):
        verify_policy(f"{b64(payload)}.{b64(signature)}", KEYS, NOW)


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(
            ["v", "kid", "session", "participant", "iat", "exp", "allow", "x"]
        ),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=5), inner, max_size=3)
            ),
            max_leaves=8,
        ),
    )
)
def test_random_signed_payloads_verify_or_raise_policy_error(
    body: dict[str, Any],
) -> None:
    body.setdefault("kid", "k1")
    try:
        policy = verify_policy(signed(body), KEYS, NOW)
    except PolicyError:
        return
    assert policy.allow <= {"view", "control"}


@FUZZ
@given(st.integers(0, 10_000), st.integers(0, 255))
def test_flipping_any_byte_of_a_valid_policy_is_caught(
    position: int, value: int
) -> None:
    token = make()
    index = position % len(token)
    flipped = token[:index] + chr(value) + token[index + 1 :]
    if flipped == token:
        return
    with pytest.raises(PolicyError):
        verify_policy(flipped, KEYS, NOW)
