"""Adversarial cases: each ends the channel with its own code, delivering nothing."""

from __future__ import annotations

import os

import pytest
from channel_peers import NOW, SESSION, Pair, make_certificate
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from lifebuoy.protocol import ChannelClosed, ErrorCode, Event, Limits, Role
from lifebuoy.protocol._hello import encode_hello

LOW_ORDER_POINTS = [
    bytes(32),
    (1).to_bytes(32, "little"),
    bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
    bytes.fromhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
    bytes.fromhex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    bytes.fromhex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
]


def ended(events: list[Event], code: ErrorCode) -> None:
    """The last event closes the channel with ``code``; nothing else came."""
    assert len(events) == 1, events
    (event,) = events
    assert isinstance(event, ChannelClosed)
    assert event.code == code, event
    assert not event.clean


def technician_hello(certificate: bytes, versions: tuple[int, ...] = (1,)) -> bytes:
    """A hello as a technician (or someone posing as one) would send it."""
    return encode_hello(Role.TECHNICIAN, versions, os.urandom(32), certificate)


def customer_receives_hello(hello: bytes) -> list[Event]:
    """The customer's events after its commit is answered by ``hello``."""
    pair = Pair.create()
    pair.customer.initiate()
    pair.customer.frames_to_send()
    return pair.customer.receive_frame(hello, NOW)


def connected_with_frames(count: int) -> tuple[Pair, list[bytes]]:
    """A connected pair and ``count`` data frames from the customer, undelivered."""
    pair = Pair.create()
    pair.connect()
    for i in range(count):
        pair.customer.send_message(b"m%d" % i)
    return pair, [bytes(f) for f in pair.customer.frames_to_send()]


def test_substituted_key_with_a_self_made_certificate_is_refused() -> None:
    rogue = Ed25519PrivateKey.generate()
    cert = make_certificate(
        Role.TECHNICIAN, X25519PrivateKey.generate(), signing_key=rogue
    )
    ended(customer_receives_hello(technician_hello(cert)), ErrorCode.BAD_CERTIFICATE)


def test_certificate_signed_by_an_unknown_site_key_is_refused() -> None:
    cert = make_certificate(Role.TECHNICIAN, X25519PrivateKey.generate(), key_id="old")
    ended(customer_receives_hello(technician_hello(cert)), ErrorCode.BAD_CERTIFICATE)


def test_certificate_for_another_session_is_refused() -> None:
    cert = make_certificate(Role.TECHNICIAN, X25519PrivateKey.generate(), session="x")
    ended(
        customer_receives_hello(technician_hello(cert)), ErrorCode.CERTIFICATE_MISMATCH
    )


def test_certificate_for_another_role_is_refused() -> None:
    cert = make_certificate(Role.CUSTOMER, X25519PrivateKey.generate())
    ended(
        customer_receives_hello(technician_hello(cert)), ErrorCode.CERTIFICATE_MISMATCH
    )


def test_expired_certificate_is_refused() -> None:
    cert = make_certificate(
        Role.TECHNICIAN,
        X25519PrivateKey.generate(),
        issued_at=int(NOW) - 7200,
        expires_at=int(NOW) - 3600,
    )
    ended(
        customer_receives_hello(technician_hello(cert)), ErrorCode.CERTIFICATE_EXPIRED
    )


@pytest.mark.parametrize("point", LOW_ORDER_POINTS, ids=lambda p: p[:2].hex())
def test_low_order_x25519_keys_are_refused(point: bytes) -> None:
    cert = make_certificate(
        Role.TECHNICIAN, X25519PrivateKey.generate(), public_key=point
    )
    ended(customer_receives_hello(technician_hello(cert)), ErrorCode.BAD_PUBLIC_KEY)


def test_downgraded_version_offer_is_detected() -> None:
    # A future technician speaks v2 and v1; someone strips v2 from its offer.
    cert = make_certificate(Role.TECHNICIAN, X25519PrivateKey.generate(), max_version=2)
    assert customer_receives_hello(technician_hello(cert, (2, 1))) == []
    ended(customer_receives_hello(technician_hello(cert, (1,))), ErrorCode.DOWNGRADE)


def test_changed_version_byte_in_the_hello_is_refused() -> None:
    cert = make_certificate(Role.TECHNICIAN, X25519PrivateKey.generate())
    hello = bytearray(technician_hello(cert))
    hello[0] = 2
    ended(customer_receives_hello(bytes(hello)), ErrorCode.VERSION_MISMATCH)


def test_hello_not_matching_the_commitment_is_refused() -> None:
    pair = Pair.create()
    pair.customer.initiate()
    commit = bytes(pair.customer.frames_to_send()[0])
    pair.technician.receive_frame(commit, NOW)
    hello_t = bytes(pair.technician.frames_to_send()[0])
    pair.customer.receive_frame(hello_t, NOW)
    hello_c, _finished = (bytearray(f) for f in pair.customer.frames_to_send())
    hello_c[10] ^= 1
    ended(
        pair.technician.receive_frame(bytes(hello_c), NOW),
        ErrorCode.COMMITMENT_MISMATCH,
    )


def test_altered_finished_fails_key_confirmation() -> None:
    pair = Pair.create()
    pair.customer.initiate()
    pair.technician.receive_frame(bytes(pair.customer.frames_to_send()[0]), NOW)
    pair.customer.receive_frame(bytes(pair.technician.frames_to_send()[0]), NOW)
    hello_c, finished = (bytearray(f) for f in pair.customer.frames_to_send())
    finished[-1] ^= 1
    assert pair.technician.receive_frame(bytes(hello_c), NOW) == []
    ended(
        pair.technician.receive_frame(bytes(finished), NOW),
        ErrorCode.KEY_CONFIRMATION_FAILED,
    )


def test_data_before_key_confirmation_is_refused() -> None:
    _pair, frames = connected_with_frames(1)
    fresh = Pair.create()
    fresh.technician.initiate()
    ended(fresh.technician.receive_frame(frames[0], NOW), ErrorCode.UNEXPECTED_FRAME)


def test_replayed_frame_ends_the_channel() -> None:
    pair, frames = connected_with_frames(2)
    pair.deliver(Role.TECHNICIAN, frames)
    assert pair.messages(Role.TECHNICIAN) == [b"m0", b"m1"]
    ended(pair.technician.receive_frame(frames[0], NOW), ErrorCode.REPLAYED)


def test_reordered_frames_end_the_channel() -> None:
    pair, frames = connected_with_frames(3)
    pair.deliver(Role.TECHNICIAN, frames[:1])
    ended(pair.technician.receive_frame(frames[2], NOW), ErrorCode.OUT_OF_ORDER)
    assert pair.messages(Role.TECHNICIAN) == [b"m0"]


def test_dropped_frame_in_the_stream_ends_the_channel() -> None:
    pair, frames = connected_with_frames(3)
    pair.deliver(Role.TECHNICIAN, [frames[0]])
    ended(pair.technician.receive_frame(frames[2], NOW), ErrorCode.OUT_OF_ORDER)


def test_dropped_tail_and_a_stopped_transport_never_look_clean() -> None:
    pair, frames = connected_with_frames(3)
    pair.deliver(Role.TECHNICIAN, frames[:2])
    assert pair.technician.transport_lost() == []
    ended(pair.technician.abandon(), ErrorCode.TRUNCATED)


def test_frame_reflected_to_its_sender_ends_the_channel() -> None:
    pair, frames = connected_with_frames(1)
    ended(pair.customer.receive_frame(frames[0], NOW), ErrorCode.REFLECTED)


def test_reflected_commit_ends_the_handshake() -> None:
    pair = Pair.create()
    pair.customer.initiate()
    commit = bytes(pair.customer.frames_to_send()[0])
    ended(pair.customer.receive_frame(commit, NOW), ErrorCode.REFLECTED)


def test_changed_version_byte_in_a_data_frame_ends_the_channel() -> None:
    pair, frames = connected_with_frames(1)
    frame = bytearray(frames[0])
    frame[0] = 2
    ended(pair.technician.receive_frame(bytes(frame), NOW), ErrorCode.VERSION_MISMATCH)
    assert pair.messages(Role.TECHNICIAN) == []


@pytest.mark.parametrize("offset", [1, 3, 11, 19, 20, -1])
def test_tampered_frame_is_never_delivered(offset: int) -> None:
    pair, frames = connected_with_frames(1)
    frame = bytearray(frames[0])
    frame[offset] ^= 0x40
    events = pair.technician.receive_frame(bytes(frame), NOW)
    assert len(events) == 1
    assert isinstance(events[0], ChannelClosed)
    assert not events[0].clean
    assert pair.messages(Role.TECHNICIAN) == []


def test_forged_close_is_not_a_clean_close() -> None:
    pair, frames = connected_with_frames(1)
    forged = bytearray(frames[0])
    forged[1] = 18  # CLOSE, with a tag that cannot match
    ended(
        pair.technician.receive_frame(bytes(forged), NOW),
        ErrorCode.AUTHENTICATION_FAILED,
    )


def test_peer_exceeding_the_key_limit_is_refused() -> None:
    pair = Pair.create()
    pair.technician.limits = Limits(frames_per_key=4)
    pair.connect()
    for i in range(5):
        pair.customer.send_message(b"%d" % i)
    events: list[Event] = []
    for frame in pair.customer.frames_to_send():
        events = pair.technician.receive_frame(bytes(frame), NOW)
    ended(events, ErrorCode.LIMIT_REACHED)


def test_truncated_frames_are_refused() -> None:
    pair, frames = connected_with_frames(1)
    ended(pair.technician.receive_frame(frames[0][:35], NOW), ErrorCode.MALFORMED_FRAME)


def test_oversized_frames_are_refused() -> None:
    pair, frames = connected_with_frames(1)
    big = frames[0][:20] + bytes(pair.technician.limits.max_frame)
    ended(pair.technician.receive_frame(big, NOW), ErrorCode.FRAME_TOO_LARGE)


def test_oversized_handshake_frames_are_refused() -> None:
    ended(
        customer_receives_hello(b"\x01\x02\x02\x00" + bytes(5000)),
        ErrorCode.FRAME_TOO_LARGE,
    )


def test_resume_from_a_stranger_is_refused() -> None:
    pair = Pair.create()
    pair.connect()
    other = Pair.create()
    other.connect()
    other.customer.transport_lost()
    other.customer.resume()
    stranger = bytes(other.customer.frames_to_send()[0])
    pair.technician.transport_lost()
    ended(pair.technician.receive_frame(stranger, NOW), ErrorCode.AUTHENTICATION_FAILED)


def test_replayed_resume_is_refused() -> None:
    pair = Pair.create()
    pair.connect()
    pair.customer.transport_lost()
    pair.customer.resume()
    resume = bytes(pair.customer.frames_to_send()[0])
    pair.technician.transport_lost()
    pair.technician.resume()
    pair.technician.receive_frame(resume, NOW)
    ended(pair.technician.receive_frame(resume, NOW), ErrorCode.REPLAYED)


def test_random_bytes_end_the_channel_with_an_error_code() -> None:
    pair = Pair.create()
    pair.connect()
    events = pair.technician.receive_frame(os.urandom(100), NOW)
    assert len(events) == 1
    assert isinstance(events[0], ChannelClosed)
    assert events[0].error is not None
    assert SESSION  # the helpers are wired to the one fake session
