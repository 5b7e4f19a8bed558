"""A receive buffer for ``websockets`` that copies a message once, not five
times, and a sender that does not copy large frames at all.

``websockets`` buffers what the transport delivers in one ``bytearray``: every
chunk (up to 256 KiB from uvloop's TLS layer) is appended, each header read
shifts the start, and the next append then reallocates and copies the whole
buffer; the frame is finally sliced out into a new ``bytearray``. For a 1 MiB
channel frame that is several copies and as many 1 MiB allocations, which
glibc serves with fresh pages. ``ChunkReader`` keeps the chunks as they came
and joins a frame's chunks once, or hands back the chunk itself when a frame
fills it exactly.

On the sending side, ``websockets`` joins each frame's header and payload
into one new bytes object; from `UNJOINED_FROM` bytes on, the protocol here
writes them as two pieces instead (the transport sends them together).

The two connection classes install the reader on their sans-I/O protocol
before any byte arrives, the sender when they first send a large message:
pass them as ``create_connection`` to ``connect`` and ``serve``.
This relies on ``websockets``' ``Protocol.reader`` and ``Protocol.parser``
(unchanged from websockets 11 to 17), and on ``Protocol.writes``,
``Protocol.send_frame`` and ``Connection.send_data`` (checked on 17.4, the
pinned version; the tests compare the frames with ``websockets``' own). The
sender is installed by changing the protocol object's class to a subclass
that adds nothing but the method (`write_large_frames_unjoined`); see
``docs/decisions/0017-relay-copies.md``.
"""

from __future__ import annotations

import secrets
import struct
from collections import deque
from collections.abc import Generator
from typing import Any, cast

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.connection import Connection
from websockets.asyncio.server import ServerConnection
from websockets.client import ClientProtocol
from websockets.frames import DATA_OPCODES, Frame
from websockets.protocol import CLIENT, Protocol
from websockets.server import ServerProtocol

try:
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - websockets built without its C part
    from websockets.utils import apply_mask


class _Chunked(Connection):
    """What both connection classes add to ``websockets``' own."""

    __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        use_chunk_reader(self.protocol)

    async def send(self, message: Any, *, text: bool | None = None) -> None:
        if isinstance(message, bytes | bytearray | memoryview) and (
            len(message) >= UNJOINED_FROM
        ):
            write_large_frames_unjoined(self.protocol)
        await super().send(message, text=text)

    def send_data(self) -> None:
        """Hand several pending writes to the transport in one call, so that
        a frame written as header and payload goes out in one send (and, over
        TLS, one batch of records). ``websockets`` writes them one by one,
        which it still does here for a single write or the end of the stream
        (an empty write)."""
        writes = self.protocol.writes
        if len(writes) < 2 or not all(writes):
            super().send_data()
        else:
            self.transport.writelines(self.protocol.data_to_send())


class ChunkedClientConnection(_Chunked, ClientConnection):
    """A client connection receiving through a ``ChunkReader``, sending large
    frames unjoined."""


class ChunkedServerConnection(_Chunked, ServerConnection):
    """A server connection receiving through a ``ChunkReader``, sending large
    frames unjoined."""


def use_chunk_reader(protocol: Protocol) -> None:
    """Give a fresh protocol a ``ChunkReader`` and restart its parser on it."""
    protocol.reader = ChunkReader()  # type: ignore[assignment]
    protocol.parser = protocol.parse()
    next(protocol.parser)


def write_large_frames_unjoined(protocol: Protocol) -> None:
    """Make ``protocol`` write data frames of `UNJOINED_FROM` bytes or more
    as header and payload, by changing its class to a subclass that only
    adds that ``send_frame``.

    The connections do it when they first send such a message, not before:
    an object whose class changes gets a dictionary of its own from Python
    (about 60 bytes more), and most connections only ever carry small ones.
    """
    unjoined = _UNJOINED.get(type(protocol))
    if unjoined is not None:
        protocol.__class__ = unjoined


UNJOINED_FROM = 1 << 16
"""Data frames from this size on go out as two writes, header then payload.

``websockets`` serializes a frame by copying its header and payload into one
new bytes object: for the channel's 1 MiB frames, a copy of every byte the
gateway relays and the ends send, which the transport copies again anyway.
From this size on the header takes the 8-byte length, so it is 10 bytes (14
with a mask) whatever the size."""


class _UnjoinedFrames(Protocol):
    """``Protocol.send_frame``, writing large data frames without the copy."""

    def send_frame(self, frame: Frame) -> None:
        data = frame.data
        client = self.side is CLIENT
        if (
            len(data) < UNJOINED_FROM
            or frame.opcode not in DATA_OPCODES
            or frame.rsv1
            or frame.rsv2
            or frame.rsv3
            or self.extensions
            or self.debug
            # A server sends the payload itself: only if it cannot change.
            or not (client or type(data) is bytes)
        ):
            super().send_frame(frame)
            return
        head = (0b10000000 if frame.fin else 0) | frame.opcode
        header = struct.pack(
            "!BBQ", head, (0b10000000 if client else 0) | 127, len(data)
        )
        if client:
            mask = secrets.token_bytes(4)
            header += mask
            payload = apply_mask(data, mask)  # a new object: the copy masking needs
        else:
            payload = cast(bytes, data)  # bytes: checked above
        self.writes.append(header)
        self.writes.append(payload)


class _ClientProtocol(_UnjoinedFrames, ClientProtocol):
    pass


class _ServerProtocol(_UnjoinedFrames, ServerProtocol):
    pass


_UNJOINED: dict[type[Protocol], type[Protocol]] = {
    ClientProtocol: _ClientProtocol,
    ServerProtocol: _ServerProtocol,
}


class ChunkReader:
    """The interface of ``websockets.streams.StreamReader``, over a chunk list."""

    def __init__(self) -> None:
        self._chunks: deque[memoryview] = deque()
        self._size = 0
        self.eof = False

    def feed_data(self, data: bytes | bytearray | memoryview) -> None:
        """Keep a received chunk.

        Bytes are kept, not copied, and so is a read-only memoryview: Lifebuoy's
        TLS layer hands over its plaintext that way, in memory it never writes
        to again. Anything else is a buffer the transport may reuse: copied.
        """
        if self.eof:
            raise EOFError("stream ended")
        if not data:
            return
        if type(data) is memoryview and data.readonly:
            view = data
        else:
            view = memoryview(data if type(data) is bytes else bytes(data))
        self._chunks.append(view)
        self._size += len(view)

    def feed_eof(self) -> None:
        """Mark the end of the stream."""
        if self.eof:
            raise EOFError("stream ended")
        self.eof = True

    def discard(self) -> None:
        """Drop what is buffered."""
        self._chunks.clear()
        self._size = 0

    def at_eof(self) -> Generator[None, None, bool]:
        """Whether the stream has ended with nothing left to read."""
        while True:
            if self._size:
                return False
            if self.eof:
                return True
            yield

    def read_exact(self, n: int) -> Generator[None, None, bytes]:
        """The next ``n`` bytes."""
        while self._size < n:
            if self.eof:
                raise EOFError(f"stream ends after {self._size} bytes, expected {n}")
            yield
        return self._take(n)

    def read_line(
        self, m: int, too_long_exc_type: type[Exception] = RuntimeError
    ) -> Generator[None, None, bytes]:
        """The next line, LF included, of at most ``m`` bytes."""
        searched = 0
        while True:
            end = self._coalesce().find(b"\n", searched) + 1
            if end > 0:
                break
            searched = self._size
            if searched > m:
                raise too_long_exc_type(f"read {searched} bytes, at most {m} expected")
            if self.eof:
                raise EOFError(f"stream ends after {searched} bytes, before a line")
            yield
        if end > m:
            raise too_long_exc_type(f"read {end} bytes, at most {m} expected")
        return self._take(end)

    def read_to_eof(
        self, m: int, too_long_exc_type: type[Exception] = RuntimeError
    ) -> Generator[None, None, bytes]:
        """Everything until the end of the stream, at most ``m`` bytes."""
        while not self.eof:
            size = self._size
            if size > m:
                raise too_long_exc_type(f"read {size} bytes, at most {m} expected")
            yield
        return self._take(self._size)

    def _coalesce(self) -> bytes:
        """Everything buffered as one bytes object (for the small HTTP lines)."""
        whole = b"".join(self._chunks)
        self._chunks.clear()
        if whole:
            self._chunks.append(memoryview(whole))
        return whole

    def _take(self, n: int) -> bytes:
        chunks = self._chunks
        self._size -= n
        if not n:
            return b""

        # One chunk holds it all: slice it, or hand over the chunk itself.
        first = chunks[0]
        if len(first) > n:
            chunks[0] = first[n:]
            return bytes(first[:n])
        if len(first) == n:
            chunks.popleft()
            whole = first.obj
            if isinstance(whole, bytes) and len(whole) == n:
                return whole
            return bytes(first)

        # Spread over several chunks: one join.
        parts = []
        while n:
            chunk = chunks[0]
            if len(chunk) <= n:
                parts.append(chunks.popleft())
                n -= len(chunk)
            else:
                parts.append(chunk[:n])
                chunks[0] = chunk[n:]
                n = 0
        return b"".join(parts)
