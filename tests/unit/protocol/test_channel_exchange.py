"""Two in-memory peers: handshake, messages, close, acks, rekey, resume."""

from __future__ import annotations

import random

import pytest
from channel_peers import Pair

from lifebuoy.protocol import (
    ChannelClosedError,
    ErrorCode,
    HandshakeComplete,
    LimitReached,
    Limits,
    MessageReceived,
    Resumed,
    Role,
    SendBufferFull,
    SendCapacityAvailable,
)

SMALL = Limits(max_payload=1024, retransmit_bytes=8192, ack_bytes=2048, ack_frames=4)


def test_handshake_gives_both_ends_the_same_code_and_the_peer_identity() -> None:
    pair = Pair.create()
    pair.connect()

    done = {r: pair.events[r][0] for r in Role}
    assert isinstance(done[Role.CUSTOMER], HandshakeComplete)
    assert isinstance(done[Role.TECHNICIAN], HandshakeComplete)
    assert done[Role.CUSTOMER].comparison_code == done[Role.TECHNICIAN].comparison_code
    assert len(done[Role.CUSTOMER].comparison_code) == 7
    assert done[Role.CUSTOMER].peer_participant == "tech-alice"
    assert done[Role.TECHNICIAN].peer_role == "customer"
    assert pair.customer.peer_certificate is not None
    assert pair.customer.peer_certificate.role is Role.TECHNICIAN


def test_messages_flow_both_ways_in_order_and_close_is_clean() -> None:
    pair = Pair.create()
    pair.connect()
    for i in range(50):
        pair.customer.send_message(b"c%d" % i)
        pair.technician.send_message(b"t%d" % i)
    pair.pump()
    pair.customer.close("done")
    pair.pump()

    assert pair.messages(Role.TECHNICIAN) == [b"c%d" % i for i in range(50)]
    assert pair.messages(Role.CUSTOMER) == [b"t%d" % i for i in range(50)]
    for role in Role:
        closed = pair.closed(role)
        assert closed is not None
        assert closed.clean
        assert closed.code == ErrorCode.NORMAL
        assert closed.reason == "done"
    assert pair.closed(Role.TECHNICIAN).by_peer  # type: ignore[union-attr]
    with pytest.raises(ChannelClosedError):
        pair.customer.send_message(b"late")


def test_messages_sent_before_the_handshake_wait_for_key_confirmation() -> None:
    pair = Pair.create()
    pair.customer.send_message(b"early")
    pair.customer.initiate()
    first = pair.customer.frames_to_send()
    assert len(first) == 1  # the commit only: no data before key confirmation
    pair.deliver(Role.TECHNICIAN, [bytes(f) for f in first])
    pair.pump()

    assert pair.messages(Role.TECHNICIAN) == [b"early"]
    assert isinstance(pair.events[Role.TECHNICIAN][0], HandshakeComplete)


def test_acknowledgements_are_batched_and_free_the_retransmit_buffer() -> None:
    pair = Pair.create(SMALL)
    pair.connect()
    sent: list[bytes] = []

    def count(sender: Role, frames: list[bytes]) -> list[bytes]:
        sent.extend(frames)
        return frames

    for i in range(40):
        pair.customer.send_message(b"x" * 100 + bytes([i]))
        pair.pump(count)
    acks = [f for f in sent if f[1] == 32]
    assert 0 < len(acks) <= 40 // SMALL.ack_frames
    assert pair.customer.send_capacity >= SMALL.max_payload


def test_full_retransmit_buffer_pushes_back_then_reopens() -> None:
    pair = Pair.create(SMALL)
    pair.connect()
    queued = []
    for i in range(100):
        if pair.customer.send_capacity < 1000:
            break
        pair.customer.send_message(bytes([i]) * 1000)
        queued.append(pair.customer.frames_to_send())
    with pytest.raises(SendBufferFull):
        pair.customer.send_message(bytes(1000))
    held = [bytes(f) for frames in queued for f in frames]
    pair.deliver(Role.TECHNICIAN, held)
    pair.pump()

    assert any(isinstance(e, SendCapacityAvailable) for e in pair.events[Role.CUSTOMER])
    pair.customer.send_message(b"again")
    pair.pump()
    assert pair.messages(Role.TECHNICIAN)[-1] == b"again"
    assert len(pair.messages(Role.TECHNICIAN)) == len(held) + 1


def test_keys_are_replaced_before_the_frame_limit_and_data_keeps_flowing() -> None:
    pair = Pair.create(Limits(frames_per_key=4))
    pair.connect()
    types: list[int] = []

    def watch(sender: Role, frames: list[bytes]) -> list[bytes]:
        types.extend(f[1] for f in frames if sender is Role.CUSTOMER)
        return frames

    for i in range(20):
        pair.customer.send_message(b"m%d" % i)
        pair.pump(watch)
    assert types.count(17) >= 6  # key updates
    assert pair.messages(Role.TECHNICIAN) == [b"m%d" % i for i in range(20)]


def test_sequence_space_at_its_limit_ends_the_channel_without_reuse() -> None:
    pair = Pair.create(Limits(max_sequence=6))
    pair.connect()
    seen: set[tuple[int, bytes]] = set()

    def nonces(sender: Role, frames: list[bytes]) -> list[bytes]:
        for f in frames:
            key = (sender, f[1] >= 32, f[4:12])
            assert key not in seen, "nonce reused"
            seen.add(key)
        return frames

    for i in range(4):
        pair.customer.send_message(b"%d" % i)
        pair.pump(nonces)
    with pytest.raises(LimitReached):
        pair.customer.send_message(b"4")
    pair.pump(nonces)
    closed = pair.closed(Role.TECHNICIAN)
    assert closed is not None
    assert closed.code == ErrorCode.LIMIT_REACHED
    assert pair.messages(Role.TECHNICIAN) == [b"%d" % i for i in range(4)]


@pytest.mark.parametrize("seed", range(5))
def test_resume_after_transport_loss_delivers_every_message_once_in_order(
    seed: int,
) -> None:
    rng = random.Random(seed)
    pair = Pair.create(SMALL)
    pair.connect()
    expected = {Role.CUSTOMER: [], Role.TECHNICIAN: []}  # type: dict[Role, list[bytes]]
    for n in range(300):
        sender = rng.choice(list(Role))
        data = b"%s-%d" % (sender.label.encode(), n)
        try:
            pair.channel(sender).send_message(data)
            expected[sender.peer].append(data)
        except SendBufferFull:
            pass
        if rng.random() < 0.1:
            # The transport dies with frames in flight: some were delivered.
            for role in Role:
                frames = pair.channel(role).frames_to_send()
                keep = rng.randint(0, len(frames))
                pair.deliver(role.peer, [bytes(f) for f in frames[:keep]])
            for role in Role:
                assert pair.channel(role).transport_lost() == []
            for role in Role:
                pair.channel(role).resume()
        else:
            pair.pump()
    pair.pump()

    for role in Role:
        assert pair.messages(role) == expected[role]
    assert any(isinstance(e, Resumed) for e in pair.events[Role.CUSTOMER])


def test_only_one_side_noticing_the_new_transport_still_resumes() -> None:
    pair = Pair.create()
    pair.connect()
    pair.customer.send_message(b"lost")
    pair.customer.frames_to_send()  # never arrives
    pair.customer.transport_lost()
    pair.customer.resume()
    pair.pump()
    assert pair.messages(Role.TECHNICIAN) == [b"lost"]


def test_duplicates_and_reordering_across_a_resume_are_not_delivered_twice() -> None:
    pair = Pair.create()
    pair.connect()
    for i in range(5):
        pair.customer.send_message(b"%d" % i)
    frames = [bytes(f) for f in pair.customer.frames_to_send()]
    pair.deliver(Role.TECHNICIAN, frames[:3])
    for role in Role:
        pair.channel(role).transport_lost()
        pair.channel(role).resume()
    pair.pump()
    assert pair.messages(Role.TECHNICIAN) == [b"%d" % i for i in range(5)]


def test_transport_loss_during_the_handshake_is_never_clean() -> None:
    pair = Pair.create()
    pair.customer.initiate()
    events = pair.customer.transport_lost()
    assert len(events) == 1
    assert events[0].code == ErrorCode.TRUNCATED
    assert not events[0].clean


def test_abandoned_channel_is_reported_truncated_not_clean() -> None:
    pair = Pair.create()
    pair.connect()
    pair.customer.transport_lost()
    (event,) = pair.customer.abandon()
    assert event.code == ErrorCode.TRUNCATED
    assert not event.clean


def test_large_frames_up_to_one_mebibyte_pass() -> None:
    pair = Pair.create()
    pair.connect()
    big = bytes(range(256)) * 4096
    pair.technician.send_message(big)
    pair.pump()
    (message,) = [
        e for e in pair.events[Role.CUSTOMER] if isinstance(e, MessageReceived)
    ]
    assert message.data == big
