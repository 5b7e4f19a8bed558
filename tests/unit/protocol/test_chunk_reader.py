"""The channel's WebSocket receive buffer behaves exactly like websockets' own.

``ChunkReader`` replaces ``websockets.streams.StreamReader`` inside every
gateway and channel connection (it saves copies of 1 MiB frames), so it must
answer every read the same way for any split of the incoming bytes.
"""

from __future__ import annotations

import os
import random
from collections.abc import Generator
from typing import Any

import pytest
from websockets.client import ClientProtocol
from websockets.protocol import CLIENT, SERVER, Protocol, State
from websockets.server import ServerProtocol
from websockets.streams import StreamReader

from lifebuoy.protocol.aio._streams import ChunkReader, use_chunk_reader

Op = tuple[str, int]


def _start(reader: Any, op: Op) -> Generator[None, None, Any]:
    kind, size = op
    if kind == "exact":
        return reader.read_exact(size)  # type: ignore[no-any-return]
    if kind == "line":
        return reader.read_line(size)  # type: ignore[no-any-return]
    return reader.read_to_eof(size)  # type: ignore[no-any-return]


def _drive(
    reader_class: type, ops: list[Op], chunks: list[bytes], eof: bool
) -> list[object]:
    """Run the reads, feeding one chunk whenever a read needs more bytes."""
    reader = reader_class()
    results: list[object] = []
    fed = 0
    for op in ops:
        read = _start(reader, op)
        while True:
            try:
                next(read)
            except StopIteration as done:
                results.append(bytes(done.value))
                break
            except Exception as error:  # the same error type is the contract
                results.append(type(error).__name__)
                return results
            if fed < len(chunks):
                reader.feed_data(chunks[fed])
                fed += 1
            elif eof and not reader.eof:
                reader.feed_eof()
            else:
                results.append("waiting")
                return results
    return results


def _case(rng: random.Random) -> tuple[list[Op], list[bytes], bool]:
    data = bytes(rng.choice(b"ab\n") for _ in range(rng.randint(0, 200)))
    cuts = sorted(
        rng.sample(range(len(data) + 1), min(len(data) + 1, rng.randint(0, 8)))
    )
    chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    ops: list[Op] = []
    for _ in range(rng.randint(1, 8)):
        kind = rng.choice(["exact", "exact", "line", "eof"])
        ops.append(
            (kind, rng.randint(0, 40) if kind == "exact" else rng.randint(1, 60))
        )
    return ops, chunks, rng.random() < 0.5


@pytest.mark.parametrize("seed", range(30))
def test_chunk_reader_answers_every_read_like_the_stream_reader(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(100):
        ops, chunks, eof = _case(rng)
        assert _drive(ChunkReader, ops, chunks, eof) == _drive(
            StreamReader, ops, chunks, eof
        ), (ops, chunks, eof)


def _open(protocol_class: type, side: Any) -> Protocol:
    protocol = protocol_class.__new__(protocol_class)
    Protocol.__init__(protocol, side, state=State.OPEN, max_size=None)
    use_chunk_reader(protocol)
    return protocol


def _deliver(wire: bytes, to: Protocol, rng: random.Random) -> list[bytes]:
    offset = 0
    while offset < len(wire):
        size = rng.randint(1, 70_000)
        to.receive_data(bytearray(wire[offset : offset + size]))
        offset += size
    return [bytes(event.data) for event in to.events_received()]


@pytest.mark.parametrize("seed", range(20))
def test_messages_survive_any_chunking_in_both_directions(seed: int) -> None:
    rng = random.Random(seed)
    client, server = _open(ClientProtocol, CLIENT), _open(ServerProtocol, SERVER)
    sizes = [0, 1, 125, 126, 65_535, 65_536, 300_000]
    messages = [os.urandom(rng.choice(sizes)) for _ in range(5)]

    for message in messages:
        client.send_binary(message)
    assert _deliver(b"".join(client.data_to_send()), server, rng) == messages

    for message in messages:
        server.send_binary(message)
    assert _deliver(b"".join(server.data_to_send()), client, rng) == messages
