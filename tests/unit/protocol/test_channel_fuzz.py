"""Hypothesis fuzzing of frame parsing and the handshake (10,000+ cases in all)."""

from __future__ import annotations

from channel_peers import NOW, Pair
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifebuoy.protocol import ChannelClosed, MessageReceived
from lifebuoy.protocol._errors import ChannelError
from lifebuoy.protocol._hello import decode_hello

QUICK = list(HealthCheck)
FAST = settings(max_examples=1500, deadline=None, suppress_health_check=QUICK)
PARSER = settings(max_examples=6000, deadline=None, suppress_health_check=QUICK)

PAIR = Pair.create()
PAIR.connect()
PAIR.customer.send_message(b"template")
TEMPLATE = bytes(PAIR.customer.frames_to_send()[0])

HANDSHAKE = Pair.create()
HANDSHAKE.customer.initiate()
COMMIT = bytes(HANDSHAKE.customer.frames_to_send()[0])
HANDSHAKE.technician.receive_frame(COMMIT, NOW)
HELLO_T = bytes(HANDSHAKE.technician.frames_to_send()[0])


def only_closes(events: list[object]) -> None:
    """Garbage never yields a message; at most a ``ChannelClosed`` with a code."""
    assert not any(isinstance(e, MessageReceived) for e in events)
    for event in events:
        assert isinstance(event, ChannelClosed)
        assert not event.clean
        assert event.error is not None


@FAST
@given(st.binary(max_size=300))
def test_random_bytes_after_the_handshake_end_with_an_error_code(data: bytes) -> None:
    pair = Pair.create()
    pair.connect()
    only_closes(pair.technician.receive_frame(data, NOW))


@FAST
@given(
    st.lists(
        st.tuples(st.integers(0, len(TEMPLATE) - 1), st.integers(1, 255)),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_data_frames_are_never_delivered(flips: list[tuple[int, int]]) -> None:
    frame = bytearray(TEMPLATE)
    for offset, mask in flips:
        frame[offset] ^= mask
    pair = Pair.create()
    pair.connect()
    only_closes(pair.technician.receive_frame(bytes(frame), NOW))


@PARSER
@given(st.binary(max_size=400))
def test_hello_parser_raises_only_channel_errors(data: bytes) -> None:
    try:
        decode_hello(b"\x01\x02\x02\x00" + data)
    except ChannelError as exc:
        failure: ChannelError | None = exc
    else:
        failure = None
    assert failure is None or failure.code is not None


@FAST
@given(st.integers(0, len(HELLO_T) - 1), st.integers(1, 255), st.binary(max_size=8))
def test_mutated_hellos_end_the_handshake_or_change_the_keys(
    offset: int, mask: int, tail: bytes
) -> None:
    frame = bytearray(HELLO_T)
    frame[offset] ^= mask
    pair = Pair.create()
    pair.customer.initiate()
    pair.customer.frames_to_send()
    events = pair.customer.receive_frame(bytes(frame) + tail, NOW)
    only_closes(events)
    if not events:
        # Only the random is free to change; the keys then differ and the
        # technician's finished cannot match.
        pair.technician.initiate()
        pair.technician.receive_frame(COMMIT, NOW)
        assert not pair.customer.is_open
