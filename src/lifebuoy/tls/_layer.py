"""TLS for Lifebuoy's connections, without a read buffer per connection.

uvloop's TLS layer (asyncio's too) gives every connection a read buffer of its
own, 256 KiB. An idle connection touches only its first and last pages, but
those are about 5 KiB of resident memory per connection that hold nothing
(an idle session cost 72 KiB in all). Its memory BIOs also keep, for the rest
of the connection, room for the largest chunk that ever went through them:
after one 1 MiB message each way about 1.7 MiB, even once the session is idle.

`TLSLayer` stands between the event loop's plain TCP transport and a
``websockets`` connection and does the same work: the handshake (with the
same timeout), reading, writing, and close_notify both ways (with the same
shutdown timeout), on an engine (``_engine``: Python's ``ssl.SSLObject``, or
the OpenSSL that ``cryptography`` ships). Only where bytes wait differs:

* one read buffer per listening socket, shared by its connections (a client
  has its own): the event loop fills it and `TLSLayer.buffer_updated` hands
  it to OpenSSL at once;
* bytes go into and out of OpenSSL at most `PIECE` at a time, so its memory
  BIOs never hold more than about that (a piece larger than a few records
  costs no CPU: see ``docs/decisions/0015-gateway-tls-layer.md``);
* ciphertext goes straight to the TCP transport, whose write buffer and
  water marks (``write_limit``) are the connection's: no second buffer of
  plaintext waits to be encrypted.

Received bytes that arrive while the application has paused reading are kept
as they are, outside OpenSSL, until it resumes (at most one read's worth:
the TCP transport is paused too).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import ssl
from collections.abc import Callable
from typing import Any, cast

from lifebuoy._memory import uninitialized

from ._engine import EngineFactory

logger = logging.getLogger(__name__)

__all__ = ["PIECE", "READ_SIZE", "TLSLayer", "TLSSettings"]

READ_SIZE = 256 * 1024
"""Bytes read from a socket at once, into the listener's shared buffer."""
PIECE = 64 * 1024
"""Bytes passed to or taken from OpenSSL at once: four TLS records."""


class _State(enum.Enum):
    HANDSHAKE = "handshake"
    OPEN = "open"
    SHUTDOWN = "shutdown"  # close_notify sent, waiting for the peer's
    CLOSED = "closed"  # the TCP transport is closing or closed


class _Outcome(enum.Enum):
    MORE = "more"  # all readable plaintext read; more bytes may follow
    PEER_CLOSED = "peer-closed"  # the peer's close_notify came
    FAILED = "failed"  # a TLS error: the connection was aborted


class _Plaintext:
    """Decrypted bytes on their way to the application, in fresh memory.

    The plaintext of one read from the socket is decrypted straight into one
    buffer sized for it, and handed on as a read-only view of that buffer,
    which nothing writes to again: no copy per record or per piece, and
    ``ChunkReader`` keeps such a view without copying it either.
    """

    __slots__ = ("_buffer", "_filled", "_size", "_views")

    # The plaintext of the records that end in the ciphertext just received
    # is shorter than that ciphertext. A record that began in an earlier read
    # adds what of it OpenSSL held back: at most one record's worth, which
    # goes into further buffers of this size.
    SPARE = 17 * 1024
    SMALLEST = 1024

    def __init__(self, ciphertext: int) -> None:
        # Sized to the read, not to the most it could take: memory freed
        # soon after but bigger than needed would leave the heap fragmented,
        # and tens of thousands of connections each read a few times.
        self._size = max(ciphertext, self.SMALLEST)
        self._buffer: memoryview | None = None
        self._filled = 0
        self._views: list[memoryview] = []

    def room(self) -> memoryview:
        """Where the next plaintext goes (never empty)."""
        buffer = self._buffer
        if buffer is None or self._filled == len(buffer):
            self._keep()
            buffer = self._buffer = uninitialized(self._size)
            self._size = self.SPARE
        return buffer[self._filled :]

    def filled(self, count: int) -> None:
        self._filled += count

    def done(self) -> list[memoryview]:
        """What was decrypted, as read-only views (nearly always one)."""
        self._keep()
        return self._views

    def _keep(self) -> None:
        if self._buffer is not None and self._filled:
            self._views.append(self._buffer[: self._filled].toreadonly())
        self._buffer, self._filled = None, 0


class TLSSettings:
    """What the connections of one listening socket (or one client) share."""

    def __init__(
        self,
        engines: EngineFactory,
        *,
        handshake_timeout: float,
        shutdown_timeout: float,
    ) -> None:
        self.engines = engines
        self.handshake_timeout = handshake_timeout
        self.shutdown_timeout = shutdown_timeout
        self.buffer = memoryview(bytearray(READ_SIZE))

    def wrap(self, app: asyncio.Protocol) -> TLSLayer:
        """A TLS layer for a new connection, under the application ``app``."""
        return TLSLayer(self, app)


class TLSLayer(asyncio.BufferedProtocol, asyncio.Transport):
    """A TLS connection: a protocol below, a transport above.

    ``on_handshake``, when set, is called once: with ``None`` when the
    handshake is done (just after the application's ``connection_made``), or
    with the exception that ended the connection before.
    """

    __slots__ = (
        "_app",
        "_app_made",
        "_app_paused_writing",
        "_engine",
        "_eof_told",
        "_listener",
        "_reading_paused",
        "_stash",
        "_state",
        "_tcp",
        "_timer",
        "on_handshake",
    )

    def __init__(self, listener: TLSSettings, app: asyncio.Protocol) -> None:
        super().__init__()
        self._listener = listener
        self._app = app
        self._app_made = False
        self._app_paused_writing = False
        self._eof_told = False
        self._reading_paused = False
        self._stash: list[bytes] = []
        self._state = _State.HANDSHAKE
        self._tcp: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._engine = listener.engines()
        self.on_handshake: Callable[[BaseException | None], None] | None = None

    # Protocol: events from the TCP transport.

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not derive from asyncio's classes.
        self._tcp = cast(asyncio.Transport, transport)
        self._timer = asyncio.get_running_loop().call_later(
            self._listener.handshake_timeout, self._handshake_timed_out
        )
        self._handshake()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._listener.buffer

    def buffer_updated(self, nbytes: int) -> None:
        received = self._listener.buffer[:nbytes]
        if self._state is _State.HANDSHAKE:
            self._engine.feed(received)
            self._handshake()
        elif self._state is _State.OPEN:
            if self._reading_paused or self._stash:
                self._stash.append(bytes(received))
            else:
                self._receive(received)
        elif self._state is _State.SHUTDOWN:
            self._engine.feed(received)
            self._shutdown()

    def eof_received(self) -> bool:
        # An EOF without close_notify ends the connection like a broken one:
        # the application is not told of an orderly end (as uvloop does).
        if self._state is _State.HANDSHAKE:
            self._abort(ConnectionResetError("EOF during the TLS handshake"))
        else:
            self._close_tcp()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._state = _State.CLOSED
        self._cancel_timer()
        self._stash.clear()
        self._handshake_ended(exc or ConnectionResetError("connection lost"))
        if self._app_made:
            self._app_made = False
            asyncio.get_running_loop().call_soon(self._app.connection_lost, exc)

    def pause_writing(self) -> None:
        if self._app_made and not self._app_paused_writing:
            self._app_paused_writing = True
            self._app.pause_writing()

    def resume_writing(self) -> None:
        if self._app_made and self._app_paused_writing:
            self._app_paused_writing = False
            self._app.resume_writing()

    # Transport: calls from the application.

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writelines((data,))

    def writelines(self, list_of_data: Any) -> None:
        """Encrypt the pieces in order and send the records together: a
        frame's header and payload, written apart, go out in one send."""
        if self._state is not _State.OPEN:
            return  # closing: like uvloop, later writes are dropped
        assert self._tcp is not None
        engine, ciphertext, untaken = self._engine, [], 0
        try:
            for data in list_of_data:
                view = memoryview(data)
                for start in range(0, len(view), PIECE):
                    piece = view[start : start + PIECE]
                    # Records are taken out before they would stand for more
                    # than PIECE bytes: OpenSSL's outgoing buffer stays small.
                    if untaken and untaken + len(piece) > PIECE:
                        ciphertext.append(engine.take())
                        untaken = 0
                    engine.write(piece)
                    untaken += len(piece)
            if untaken:
                ciphertext.append(engine.take())
        except ssl.SSLError as exc:
            self._abort(exc)
            return
        if len(ciphertext) == 1:
            self._tcp.write(ciphertext[0])
        elif ciphertext:
            self._tcp.writelines(ciphertext)

    def can_write_eof(self) -> bool:
        return False  # TLS has no half-close: websockets closes instead

    def write_eof(self) -> None:
        raise NotImplementedError("TLS connections cannot half-close")

    def close(self) -> None:
        """Send close_notify, wait for the peer's, then close the socket."""
        if self._state is _State.OPEN:
            self._state = _State.SHUTDOWN
            # The peer's close_notify may be in the stash, or still to come
            # while the application has paused reading.
            for data in self._stash:
                self._engine.feed(data)
            self._stash.clear()
            if self._reading_paused and self._tcp is not None:
                self._tcp.resume_reading()
            self._cancel_timer()
            self._timer = asyncio.get_running_loop().call_later(
                self._listener.shutdown_timeout, self._shutdown_timed_out
            )
            self._shutdown()
        elif self._state is _State.HANDSHAKE:
            self._abort(None)

    def abort(self) -> None:
        self._abort(None)

    def is_closing(self) -> bool:
        return self._state is not _State.OPEN

    def pause_reading(self) -> None:
        if not self._reading_paused:
            self._reading_paused = True
            if self._tcp is not None and self._state is _State.OPEN:
                self._tcp.pause_reading()

    def resume_reading(self) -> None:
        if self._reading_paused:
            self._reading_paused = False
            if self._tcp is not None and self._state is _State.OPEN:
                self._tcp.resume_reading()
                asyncio.get_running_loop().call_soon(self._receive_stashed)

    def is_reading(self) -> bool:
        return not self._reading_paused

    def set_write_buffer_limits(
        self, high: int | None = None, low: int | None = None
    ) -> None:
        assert self._tcp is not None
        self._tcp.set_write_buffer_limits(high, low)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        assert self._tcp is not None
        return self._tcp.get_write_buffer_limits()

    def get_write_buffer_size(self) -> int:
        return 0 if self._tcp is None else self._tcp.get_write_buffer_size()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "ssl_object":
            return self._engine
        if name == "peercert" and self._state is not _State.HANDSHAKE:
            return self._engine.getpeercert()
        if name == "cipher":
            return self._engine.cipher()
        if self._tcp is None:
            return default
        return self._tcp.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        assert isinstance(protocol, asyncio.Protocol)
        self._app = protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._app

    # The handshake.

    def _handshake(self) -> None:
        try:
            self._engine.do_handshake()
        except ssl.SSLWantReadError:
            self._flush()
            return
        except ssl.SSLError as exc:
            self._flush()  # the alert, if OpenSSL wrote one
            logger.debug("TLS handshake failed: %s", exc)
            self._abort(exc)
            return
        self._flush()  # the last flight and the session tickets
        self._cancel_timer()
        self._state = _State.OPEN
        self._app_made = True
        self._app.connection_made(self)
        self._handshake_ended(None)
        # Like uvloop: the application sees its first data after a turn of
        # the loop, once connection_made() has had its effects.
        asyncio.get_running_loop().call_soon(self._receive_stashed)

    def _handshake_timed_out(self) -> None:
        if self._state is _State.HANDSHAKE:
            timeout = self._listener.handshake_timeout
            self._abort(ConnectionAbortedError(f"no TLS handshake in {timeout} s"))

    def _handshake_ended(self, exc: BaseException | None) -> None:
        if self.on_handshake is not None:
            on_handshake, self.on_handshake = self.on_handshake, None
            on_handshake(exc)

    # Reading.

    def _receive(self, data: memoryview) -> None:
        """Decrypt ``data`` piece by piece and pass the plaintext on at once."""
        plaintext = _Plaintext(len(data))
        self._deliver(plaintext, self._feed(data, plaintext))

    def _receive_stashed(self) -> None:
        """Data that waited: in OpenSSL after the handshake, or in the stash."""
        if self._state is not _State.OPEN or self._reading_paused:
            return
        plaintext = _Plaintext(sum(map(len, self._stash)))
        outcome = self._decrypt(plaintext)
        stash, self._stash = self._stash, []
        for data in stash:
            if outcome is not _Outcome.MORE:
                break
            outcome = self._feed(memoryview(data), plaintext)
        self._deliver(plaintext, outcome)

    def _feed(self, data: memoryview, plaintext: _Plaintext) -> _Outcome:
        outcome = _Outcome.MORE
        for start in range(0, len(data), PIECE):
            self._engine.feed(data[start : start + PIECE])
            outcome = self._decrypt(plaintext)
            if outcome is not _Outcome.MORE:
                break
        return outcome

    def _decrypt(self, plaintext: _Plaintext) -> _Outcome:
        """Add to ``plaintext`` what OpenSSL can decrypt now."""
        engine = self._engine
        try:
            # Checking before reading avoids most SSLWantReadError, which
            # costs more than a read (uvloop does the same).
            while engine.has_input() or engine.pending():
                count = engine.read_into(plaintext.room())
                if not count:
                    return _Outcome.PEER_CLOSED
                plaintext.filled(count)
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLZeroReturnError:
            return _Outcome.PEER_CLOSED
        except ssl.SSLError as exc:
            self._abort(exc)
            return _Outcome.FAILED
        self._flush()  # e.g. the answer to a key update
        return _Outcome.MORE

    def _deliver(self, plaintext: _Plaintext, outcome: _Outcome) -> None:
        """Pass on the plaintext, then the peer's close_notify if it came."""
        if outcome is _Outcome.FAILED:
            return  # aborted: nothing more reaches the application
        for data in plaintext.done():
            if not self._app_made:
                break
            # A read-only view, not bytes: see _Plaintext.
            self._app.data_received(data)  # type: ignore[arg-type]
        # If the application closed meanwhile, its close() has already
        # answered, since OpenSSL had the peer's close_notify.
        if outcome is _Outcome.PEER_CLOSED and self._state is _State.OPEN:
            self._tell_eof()
            self.close()  # answers with our close_notify, then closes

    def _tell_eof(self) -> None:
        if self._app_made and not self._eof_told:
            self._eof_told = True
            self._app.eof_received()

    # Closing.

    def _shutdown(self) -> None:
        """Send close_notify; close the socket once the peer's has come."""
        try:
            self._discard_plaintext()
            self._engine.unwrap()
        except ssl.SSLWantReadError:
            self._flush()
            return
        except ssl.SSLError as exc:
            self._abort(exc)
            return
        self._flush()
        self._close_tcp()

    def _discard_plaintext(self) -> None:
        """Skip data the peer sent after we closed; note its close_notify."""
        try:
            while self._engine.read(PIECE):
                pass
        except ssl.SSLWantReadError:
            return
        except ssl.SSLZeroReturnError:
            pass
        self._tell_eof()

    def _shutdown_timed_out(self) -> None:
        if self._state is _State.SHUTDOWN:
            self._abort(TimeoutError("no TLS close_notify from the peer in time"))

    def _close_tcp(self) -> None:
        self._cancel_timer()
        if self._state is not _State.CLOSED and self._tcp is not None:
            self._state = _State.CLOSED
            self._tcp.close()

    def _abort(self, exc: Exception | None) -> None:
        if exc is not None:
            logger.debug("TLS connection aborted: %s", exc)
        if self._state is _State.HANDSHAKE:
            self._handshake_ended(exc or ConnectionAbortedError("TLS aborted"))
        self._cancel_timer()
        self._state = _State.CLOSED
        if self._tcp is not None:
            self._tcp.abort()

    def _flush(self) -> None:
        data = self._engine.take()
        if data and self._tcp is not None and not self._tcp.is_closing():
            self._tcp.write(data)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
