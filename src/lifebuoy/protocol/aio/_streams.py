"""A receive buffer for ``websockets`` that copies a message once, not five times.

``websockets`` buffers what the transport delivers in one ``bytearray``: every
chunk (up to 256 KiB from uvloop's TLS layer) is appended, each header read
shifts the start, and the next append then reallocates and copies the whole
buffer; the frame is finally sliced out into a new ``bytearray``. For a 1 MiB
channel frame that is several copies and as many 1 MiB allocations, which
glibc serves with fresh pages. ``ChunkReader`` keeps the chunks as they came
and joins a frame's chunks once, or hands back the chunk itself when a frame
fills it exactly.

The two connection classes install it on their sans-I/O protocol before any
byte arrives: pass them as ``create_connection`` to ``connect`` and ``serve``.
This relies on ``websockets``' ``Protocol.reader`` and ``Protocol.parser``
attributes, unchanged from websockets 11 to 17.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.server import ServerConnection
from websockets.protocol import Protocol


class ChunkedClientConnection(ClientConnection):
    """A client connection receiving through a ``ChunkReader``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        use_chunk_reader(self.protocol)


class ChunkedServerConnection(ServerConnection):
    """A server connection receiving through a ``ChunkReader``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        use_chunk_reader(self.protocol)


def use_chunk_reader(protocol: Protocol) -> None:
    """Give a fresh protocol a ``ChunkReader`` and restart its parser on it."""
    protocol.reader = ChunkReader()  # type: ignore[assignment]
    protocol.parser = protocol.parse()
    next(protocol.parser)


class ChunkReader:
    """The interface of ``websockets.streams.StreamReader``, over a chunk list."""

    def __init__(self) -> None:
        self._chunks: deque[memoryview] = deque()
        self._size = 0
        self.eof = False

    def feed_data(self, data: bytes | bytearray) -> None:
        """Keep a received chunk (bytes are kept, not copied)."""
        if self.eof:
            raise EOFError("stream ended")
        if not data:
            return
        if type(data) is not bytes:  # a buffer the transport may reuse
            data = bytes(data)
        self._chunks.append(memoryview(data))
        self._size += len(data)

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
