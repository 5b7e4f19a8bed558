"""The channel's WebSocket receive buffer behaves exactly like websockets' own.

``ChunkReader`` replaces ``websockets.streams.StreamReader`` inside every
gateway and channel connection (it saves copies of 1 MiB frames), so it must
answer every read the same way for any split of the incoming bytes.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Generator
from typing import Any
from unittest import mock

import pytest
from websockets.asyncio.server import ServerConnection
from websockets.client import ClientProtocol
from websockets.protocol import CLIENT, SERVER, Protocol, State
from websockets.server import ServerProtocol
from websockets.streams import StreamReader

from lifebuoy.protocol.aio._streams import (
    UNJOINED_FROM,
    ChunkedServerConnection,
    ChunkReader,
    use_chunk_reader,
    write_large_frames_unjoined,
)

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
    """A protocol as Lifebuoy's connections have it once a large message went
    out: receiving through a ChunkReader, writing large frames unjoined."""
    protocol = protocol_class.__new__(protocol_class)
    Protocol.__init__(protocol, side, state=State.OPEN, max_size=None)
    use_chunk_reader(protocol)
    write_large_frames_unjoined(protocol)
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


def _stock(protocol_class: type, side: Any) -> Protocol:
    protocol = protocol_class.__new__(protocol_class)
    Protocol.__init__(protocol, side, state=State.OPEN, max_size=None)
    return protocol


@pytest.mark.parametrize("size", [65_535, 65_536, 1 << 20])
def test_large_frames_go_out_unjoined_and_stock_websockets_reads_them(
    size: int,
) -> None:
    message = os.urandom(size)
    for ours, stock in (
        (_open(ClientProtocol, CLIENT), _stock(ServerProtocol, SERVER)),
        (_open(ServerProtocol, SERVER), _stock(ClientProtocol, CLIENT)),
    ):
        ours.send_binary(message)
        ours.send_text(message.hex().encode(), fin=False)
        ours.send_continuation(b"", fin=True)
        ours.send_ping(b"p")
        writes = ours.data_to_send()
        # Below 64 KiB, websockets' own single write; from there on, header
        # and payload apart (10 bytes of header, 14 with the client's mask).
        if size >= 65_536:
            assert [len(w) for w in writes[:2]] == [
                14 if ours.side is CLIENT else 10,
                size,
            ]
        else:
            assert len(writes[0]) > size
        stock.receive_data(b"".join(writes))
        events = stock.events_received()
        assert [bytes(event.data) for event in events] == [
            message,
            message.hex().encode(),
            b"",
            b"p",
        ]


def test_a_servers_large_frame_is_byte_for_byte_what_websockets_writes() -> None:
    message = os.urandom(200_000)
    ours, stock = _open(ServerProtocol, SERVER), _stock(ServerProtocol, SERVER)
    ours.send_binary(message)
    stock.send_binary(message)
    assert b"".join(ours.data_to_send()) == b"".join(stock.data_to_send())


def test_a_server_copies_a_mutable_payload_before_sending_it() -> None:
    payload = bytearray(os.urandom(100_000))
    ours = _open(ServerProtocol, SERVER)
    ours.send_binary(payload)
    expected = bytes(payload)
    payload[:] = bytes(len(payload))  # the caller reuses its buffer
    stock = _stock(ClientProtocol, CLIENT)
    stock.receive_data(b"".join(ours.data_to_send()))
    assert stock.events_received()[0].data == expected


def test_chunk_reader_keeps_read_only_views_and_copies_other_buffers() -> None:
    kept = memoryview(bytearray(b"abcdef")).toreadonly()
    reused = bytearray(b"ghijkl")
    reader = ChunkReader()
    reader.feed_data(kept)
    reader.feed_data(reused)
    reused[:] = b"XXXXXX"  # the transport refills its buffer
    assert reader._chunks[0] is kept
    assert _run(reader.read_exact(12)) == b"abcdefghijkl"


def _run(generator: Generator[None, None, Any]) -> Any:
    try:
        next(generator)
    except StopIteration as done:
        return done.value
    raise AssertionError("the read waited for more bytes")


class _Transport:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[bytes]]] = []

    def write(self, data: bytes) -> None:
        self.calls.append(("write", [bytes(data)]))

    def writelines(self, items: list[bytes]) -> None:
        self.calls.append(("writelines", [bytes(item) for item in items]))

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.calls.append(("write_eof", []))


def test_a_large_frames_header_and_payload_go_to_the_transport_in_one_call() -> None:
    connection = ChunkedServerConnection.__new__(ChunkedServerConnection)
    connection.protocol = _open(ServerProtocol, SERVER)  # type: ignore[assignment]
    connection.transport = _Transport()  # type: ignore[assignment]
    connection.debug = False
    message = os.urandom(100_000)

    connection.protocol.send_binary(message)
    connection.send_data()
    connection.protocol.send_binary(b"small")
    connection.send_data()
    connection.protocol.send_eof()
    connection.send_data()

    calls = connection.transport.calls  # type: ignore[attr-defined]
    assert [kind for kind, _ in calls] == ["writelines", "write", "write_eof"]
    assert [len(item) for item in calls[0][1]] == [10, len(message)]
    stock = _stock(ClientProtocol, CLIENT)
    stock.receive_data(b"".join(b"".join(items) for _, items in calls))
    assert [event.data for event in stock.events_received()] == [message, b"small"]


def test_only_a_large_message_switches_a_connection_to_unjoined_frames() -> None:
    # The switch costs an idle connection memory: none until it is needed.
    async def test() -> None:
        connection = ChunkedServerConnection.__new__(ChunkedServerConnection)
        connection.protocol = _stock(ServerProtocol, SERVER)  # type: ignore[assignment]
        sent: list[object] = []

        async def send(
            self: object, message: object, *, text: bool | None = None
        ) -> None:
            sent.append(message)

        with mock.patch.object(ServerConnection, "send", send):
            for message in ("text", b"small", bytes(UNJOINED_FROM - 1)):
                await connection.send(message)
            assert type(connection.protocol) is ServerProtocol
            await connection.send(memoryview(bytes(UNJOINED_FROM)))
        assert type(connection.protocol) is not ServerProtocol
        assert isinstance(connection.protocol, ServerProtocol)
        assert len(sent) == 4

    asyncio.run(test())
