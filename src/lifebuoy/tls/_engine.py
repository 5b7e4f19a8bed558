"""TLS engines: one TLS connection's state, bytes in and bytes out.

An engine is what `TLSLayer` drives: ciphertext is fed in and taken out,
plaintext is read and written, the handshake and close_notify are run. Two
engines do this, with the same behaviour and the same exceptions (the ``ssl``
module's):

* `SystemEngine`: Python's ``ssl.SSLObject`` over two ``ssl.MemoryBIO``, on
  the OpenSSL the system's Python was built with.
* `OpenSSLEngine`: the OpenSSL that ``cryptography`` ships, through
  pyOpenSSL. Where the system's OpenSSL is older, its AES-GCM is much slower
  (on the development machine 5.4 GB/s against 18 GB/s, OpenSSL 3.0.19
  against 4.0), and TLS is most of what relaying a session costs
  (``docs/decisions/0016-tls-engine.md``).

pyOpenSSL's own ``recv_into``, ``send`` and ``bio_read`` go through Python
code on every call, and OpenSSL hands out one 16 KiB record per read, so a
connection here is driven through the bindings pyOpenSSL itself uses
(``OpenSSL._util``): ``SSL_read`` for every record available in one Python
call, ``SSL_write`` of whole messages, the handshake and shutdown. pyOpenSSL
makes the contexts: certificates, verification, options. Those bindings are
not a public interface: `openssl_engine_available` checks that every
function this module needs is there, and when one is missing Lifebuoy uses
`SystemEngine` (as it does when ``LIFEBUOY_TLS_ENGINE=system``).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from lifebuoy._memory import uninitialized

logger = logging.getLogger(__name__)

__all__ = [
    "Engine",
    "EngineFactory",
    "OpenSSLEngine",
    "PinnedContext",
    "SystemEngine",
    "client_engines",
    "engine_kind",
    "openssl_engine_available",
    "pinned_context",
    "server_engines",
]

READ_SIZE = 64 * 1024
"""Most plaintext one `OpenSSLEngine.read` returns, from records of 16 KiB."""

# The TLS 1.2 cipher list of Python's ssl.create_default_context(), so both
# engines offer the same; TLS 1.3 suites are OpenSSL's defaults in both.
_CIPHERS = (
    b"@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:"
    b"!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM"
)


class Engine(Protocol):
    """One TLS connection, sans I/O. Errors are the ``ssl`` module's."""

    def do_handshake(self) -> None:
        """Advance the handshake; ``ssl.SSLWantReadError`` until it is done."""

    def feed(self, data: bytes | memoryview) -> None:
        """Ciphertext received from the peer."""

    def has_input(self) -> bool:
        """Whether fed ciphertext may not have been read yet."""

    def pending(self) -> int:
        """Plaintext bytes decrypted and not read yet."""

    def read(self, size: int) -> bytes:
        """Plaintext; ``ssl.SSLWantReadError`` when more ciphertext is needed,
        b"" once the peer's close_notify has come (as ``ssl`` does)."""

    def read_into(self, view: memoryview) -> int:
        """Plaintext into ``view``, as `read`; how many bytes, 0 at the end."""

    def write(self, data: bytes | memoryview) -> None:
        """Encrypt all of ``data``."""

    def take(self) -> bytes | memoryview:
        """Ciphertext to send to the peer (empty when there is none), in
        memory the engine never reuses."""

    def unwrap(self) -> None:
        """Send close_notify; ``ssl.SSLWantReadError`` until the peer's came."""

    def cipher(self) -> tuple[str, str, int] | None: ...

    def version(self) -> str | None: ...

    def getpeercert(self) -> dict[str, Any] | None: ...


EngineFactory = Callable[[], Engine]
"""Makes the engine of each new connection."""


# Python's ssl module.


class SystemEngine:
    """``ssl.SSLObject`` on the system's OpenSSL."""

    __slots__ = ("_incoming", "_outgoing", "_sslobj")

    def __init__(
        self,
        context: ssl.SSLContext,
        *,
        server_side: bool,
        server_hostname: str | None = None,
    ) -> None:
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._sslobj = context.wrap_bio(
            self._incoming,
            self._outgoing,
            server_side=server_side,
            server_hostname=server_hostname,
        )

    def do_handshake(self) -> None:
        self._sslobj.do_handshake()

    def feed(self, data: bytes | memoryview) -> None:
        self._incoming.write(data)

    def has_input(self) -> bool:
        return self._incoming.pending > 0

    def pending(self) -> int:
        return self._sslobj.pending()

    def read(self, size: int) -> bytes:
        return self._sslobj.read(size)

    def read_into(self, view: memoryview) -> int:
        # With a buffer, SSLObject.read takes any writable one and returns
        # the count, which its type hints do not say.
        count = self._sslobj.read(len(view), view)  # type: ignore[arg-type]
        return cast(int, count)

    def write(self, data: bytes | memoryview) -> None:
        self._sslobj.write(data)

    def take(self) -> bytes:
        return self._outgoing.read()

    def unwrap(self) -> None:
        self._sslobj.unwrap()

    def cipher(self) -> tuple[str, str, int] | None:
        return self._sslobj.cipher()

    def version(self) -> str | None:
        return self._sslobj.version()

    def getpeercert(self) -> dict[str, Any] | None:
        return self._sslobj.getpeercert()


# cryptography's OpenSSL, through pyOpenSSL.

try:
    from OpenSSL import SSL, crypto
    from OpenSSL._util import ffi as _ffi
    from OpenSSL._util import lib as _lib
except ImportError:  # pragma: no cover - pyOpenSSL is a dependency
    _lib = None

_NEEDED = (
    "SSL_new",
    "SSL_free",
    "SSL_set_bio",
    "SSL_set_accept_state",
    "SSL_set_connect_state",
    "SSL_set_tlsext_host_name",
    "SSL_do_handshake",
    "SSL_read",
    "SSL_write",
    "SSL_pending",
    "SSL_shutdown",
    "SSL_get_error",
    "SSL_get_verify_result",
    "SSL_clear_mode",
    "SSL_get_current_cipher",
    "SSL_CIPHER_get_name",
    "SSL_CIPHER_get_version",
    "SSL_CIPHER_get_bits",
    "SSL_get_version",
    "SSL_get0_param",
    "SSL_MODE_ENABLE_PARTIAL_WRITE",
    "SSL_MODE_RELEASE_BUFFERS",
    "SSL_ERROR_WANT_READ",
    "SSL_ERROR_ZERO_RETURN",
    "SSL_ERROR_SYSCALL",
    "BIO_new",
    "BIO_s_mem",
    "BIO_read",
    "BIO_write",
    "BIO_get_mem_data",
    "ERR_get_error",
    "ERR_clear_error",
    "ERR_reason_error_string",
    "X509_V_OK",
    "X509_verify_cert_error_string",
    "X509_VERIFY_PARAM_set1_host",
    "X509_VERIFY_PARAM_set1_ip",
    "X509_VERIFY_PARAM_set_hostflags",
)
_NO_PARTIAL_WILDCARDS = 0x4  # X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, as ssl sets


def openssl_engine_available() -> bool:
    """Whether `OpenSSLEngine` can run with the installed pyOpenSSL."""
    if _lib is None or not all(hasattr(_lib, name) for name in _NEEDED):
        return False
    return hasattr(SSL.Context(SSL.TLS_METHOD), "_context")


class OpenSSLEngine:
    """An OpenSSL connection over two memory BIOs, driven directly.

    pyOpenSSL made the context (certificates, verification, options); the
    connection itself is OpenSSL's ``SSL`` alone, without pyOpenSSL's
    ``Connection`` around it: that object and its registry entry would cost
    an idle connection about 0.45 KiB.
    """

    __slots__ = ("_failure", "_fed", "_from", "_into", "_ssl")

    def __init__(
        self,
        context: SSL.Context,
        *,
        server_side: bool,
        server_hostname: str | None = None,
    ) -> None:
        pointer = _lib.SSL_new(context._context)
        if pointer == _ffi.NULL:
            raise ssl.SSLError(f"cannot start a TLS connection: {_errors()}")
        self._ssl = _ffi.gc(pointer, _lib.SSL_free)
        self._into = _lib.BIO_new(_lib.BIO_s_mem())
        self._from = _lib.BIO_new(_lib.BIO_s_mem())
        # The SSL owns both BIOs from here on, even a NULL one's partner.
        _lib.SSL_set_bio(self._ssl, self._into, self._from)
        if self._into == _ffi.NULL or self._from == _ffi.NULL:
            raise ssl.SSLError(f"cannot start a TLS connection: {_errors()}")
        self._fed = False
        self._failure: ssl.SSLError | None = None
        # Writes go whole into the memory BIO, never record by record.
        _lib.SSL_clear_mode(self._ssl, _lib.SSL_MODE_ENABLE_PARTIAL_WRITE)
        if server_side:
            _lib.SSL_set_accept_state(self._ssl)
            return
        if not server_hostname:
            raise ValueError("a TLS client needs the server's host name")
        _check_server_name(self._ssl, server_hostname)
        if not _is_ip_address(server_hostname):
            # SNI; the binding declares it void, as pyOpenSSL uses it.
            _lib.SSL_set_tlsext_host_name(self._ssl, server_hostname.encode("idna"))
        _lib.SSL_set_connect_state(self._ssl)

    # OpenSSL's error queue must be empty before each call whose outcome
    # SSL_get_error() reads (SSL_get_error(3)), hence ERR_clear_error().

    def do_handshake(self) -> None:
        _lib.ERR_clear_error()
        result = _lib.SSL_do_handshake(self._ssl)
        if result != 1:
            raise self._error(result)

    def feed(self, data: bytes | memoryview) -> None:
        if not len(data):
            return
        with _ffi.from_buffer(data) as pointer:
            written = _lib.BIO_write(self._into, pointer, len(data))
        if written != len(data):
            raise ssl.SSLError(f"TLS input buffer took {written} of {len(data)}")
        self._fed = True

    def has_input(self) -> bool:
        return self._fed

    def pending(self) -> int:
        return int(_lib.SSL_pending(self._ssl))

    def read(self, size: int) -> bytes:
        buffer = uninitialized(min(size, READ_SIZE))
        return bytes(buffer[: self.read_into(buffer)])

    def read_into(self, view: memoryview) -> int:
        """Plaintext from as many records as are there: a call per record
        would cost more than decrypting it."""
        if self._failure is not None:
            raise self._failure
        size = len(view)
        ssl_pointer, read = self._ssl, _lib.SSL_read
        _lib.ERR_clear_error()
        total: int = 0
        with _ffi.from_buffer(view, require_writable=True) as buffer:
            while (count := read(ssl_pointer, buffer + total, size - total)) > 0:
                total += count
                if total == size:
                    return total
        # No whole record is left, or the connection ended. No exception is
        # kept in a local variable here: raised, it would hold this frame
        # through its traceback, and the frame it, until the cyclic garbage
        # collector runs; and the caller's frame with its plaintext too.
        code = _lib.SSL_get_error(ssl_pointer, count)
        if code == _lib.SSL_ERROR_WANT_READ:
            self._fed = False
            if not total:
                raise ssl.SSLWantReadError("The operation did not complete")
        elif code == _lib.SSL_ERROR_ZERO_RETURN:
            pass  # the peer's close_notify: 0 now or on the next call
        elif not total:
            raise self._error(count)
        else:
            self._failure = self._error(count)  # raised once the data is taken
        return total

    def write(self, data: bytes | memoryview) -> None:
        if not len(data):
            return
        _lib.ERR_clear_error()
        with _ffi.from_buffer(data) as pointer:
            count = _lib.SSL_write(self._ssl, pointer, len(data))
        if count != len(data):
            raise self._error(count)

    def take(self) -> bytes | memoryview:
        # Read straight into memory of its own, which goes to the transport
        # as it is: one copy out of OpenSSL, not two.
        size = _lib.BIO_get_mem_data(self._from, _ffi.NULL)
        if size <= 0:
            return b""
        buffer = uninitialized(size)
        with _ffi.from_buffer(buffer, require_writable=True) as pointer:
            count = _lib.BIO_read(self._from, pointer, size)
        return buffer[: max(count, 0)].toreadonly()

    def unwrap(self) -> None:
        _lib.ERR_clear_error()
        result = _lib.SSL_shutdown(self._ssl)
        if result == 1:
            return
        if result == 0:
            raise ssl.SSLWantReadError("waiting for the peer's close_notify")
        raise self._error(result)

    def cipher(self) -> tuple[str, str, int] | None:
        cipher = _lib.SSL_get_current_cipher(self._ssl)
        if cipher == _ffi.NULL:
            return None
        name = _ffi.string(_lib.SSL_CIPHER_get_name(cipher)).decode()
        version = _ffi.string(_lib.SSL_CIPHER_get_version(cipher)).decode()
        return name, version, int(_lib.SSL_CIPHER_get_bits(cipher, _ffi.NULL))

    def version(self) -> str | None:
        if _lib.SSL_get_current_cipher(self._ssl) == _ffi.NULL:
            return None
        return str(_ffi.string(_lib.SSL_get_version(self._ssl)).decode())

    def getpeercert(self) -> dict[str, Any] | None:
        return None  # Lifebuoy's TLS peers are checked by OpenSSL, not read

    def _error(self, result: int) -> ssl.SSLError:
        """What OpenSSL's ``result`` means, as the ``ssl`` module's exception;
        OpenSSL's error queue is emptied."""
        code = _lib.SSL_get_error(self._ssl, result)
        if code == _lib.SSL_ERROR_WANT_READ:
            return ssl.SSLWantReadError("The operation did not complete")
        if code == _lib.SSL_ERROR_ZERO_RETURN:
            return ssl.SSLZeroReturnError("TLS/SSL connection has been closed")
        verified = _lib.SSL_get_verify_result(self._ssl)
        text = _errors()
        if verified != _lib.X509_V_OK:
            reason = _ffi.string(_lib.X509_verify_cert_error_string(verified))
            return ssl.SSLCertVerificationError(
                f"certificate verify failed: {reason.decode()}"
            )
        if code == _lib.SSL_ERROR_SYSCALL or "unexpected eof" in text:
            return ssl.SSLEOFError(f"TLS connection ended: {text or 'EOF'}")
        return ssl.SSLError(text or f"TLS error {code}")


def _errors() -> str:
    """OpenSSL's queued errors, as text; the queue is left empty."""
    reasons = []
    while code := _lib.ERR_get_error():
        reason = _lib.ERR_reason_error_string(code)
        reasons.append(
            "unknown" if reason == _ffi.NULL else _ffi.string(reason).decode()
        )
    return "; ".join(reasons)


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _check_server_name(ssl_pointer: Any, host: str) -> None:
    """Make OpenSSL check that the certificate names ``host``, as Python's
    ``ssl`` does with ``check_hostname``."""
    param = _lib.SSL_get0_param(ssl_pointer)
    if _is_ip_address(host):
        packed = ipaddress.ip_address(host).packed
        ok = _lib.X509_VERIFY_PARAM_set1_ip(param, packed, len(packed))
    else:
        _lib.X509_VERIFY_PARAM_set_hostflags(param, _NO_PARTIAL_WILDCARDS)
        name = host.encode("idna")
        ok = _lib.X509_VERIFY_PARAM_set1_host(param, name, len(name))
    if ok != 1:
        raise ValueError(f"cannot check certificates for {host!r}")


def _new_context(method: int) -> SSL.Context:
    context = SSL.Context(method)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    context.set_cipher_list(_CIPHERS)
    context.set_options(SSL.OP_NO_COMPRESSION | SSL.OP_CIPHER_SERVER_PREFERENCE)
    # Record buffers are released between reads: an idle connection holds
    # none (decision 0015).
    context.set_mode(_lib.SSL_MODE_RELEASE_BUFFERS)
    return context


# Client contexts that name their trust anchors.


class PinnedContext(ssl.SSLContext):
    """A client context trusting only the certificates in ``anchors`` (DER),
    so that `client_engines` can give `OpenSSLEngine` the same ones."""

    anchors: tuple[bytes, ...] = ()


def pinned_context(
    *, cadata: str | None = None, cafile: str | Path | None = None
) -> PinnedContext:
    """``ssl.create_default_context(cadata=..., cafile=...)`` for a server
    certificate, trusting only those PEM certificates."""
    pem = cadata if cadata is not None else Path(cafile or "").read_text("ascii")
    certificates = x509.load_pem_x509_certificates(pem.encode("ascii"))
    context = PinnedContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies host and chain
    context.load_verify_locations(cadata=pem)
    context.anchors = tuple(
        certificate.public_bytes(serialization.Encoding.DER)
        for certificate in certificates
    )
    return context


# Choosing the engine.


def engine_kind() -> str:
    """``"openssl"`` or ``"system"``: what new TLS connections use.

    ``LIFEBUOY_TLS_ENGINE=system`` chooses Python's ``ssl`` whatever is
    installed, ``openssl`` insists on `OpenSSLEngine`; by default it is
    `OpenSSLEngine` when it can run.
    """
    wanted = os.environ.get("LIFEBUOY_TLS_ENGINE", "").lower()
    if wanted == "system":
        return "system"
    if wanted == "openssl" and not _available():
        raise RuntimeError("LIFEBUOY_TLS_ENGINE=openssl, but it cannot run here")
    return "openssl" if _available() else "system"


_available_cache: list[bool] = []


def _available() -> bool:
    if not _available_cache:
        _available_cache.append(openssl_engine_available())
        if not _available_cache[0]:
            logger.warning("pyOpenSSL's bindings lack what TLS needs: using ssl")
    return _available_cache[0]


def _kind(kind: str | None) -> str:
    if kind is None:
        return engine_kind()
    if kind not in ("openssl", "system"):
        raise ValueError(f"unknown TLS engine {kind!r}: openssl or system")
    return kind


def server_engines(
    context: ssl.SSLContext,
    cert: Path | None = None,
    key: Path | None = None,
    *,
    kind: str | None = None,
) -> EngineFactory:
    """Server-side engines. `OpenSSLEngine` needs the certificate chain and
    key files (``context`` is used when they are not given, or with the
    system engine)."""
    if _kind(kind) == "openssl" and cert is not None:
        openssl_context = _new_context(SSL.TLS_SERVER_METHOD)
        openssl_context.use_certificate_chain_file(str(cert))
        openssl_context.use_privatekey_file(str(key or cert))
        openssl_context.check_privatekey()
        return lambda: OpenSSLEngine(openssl_context, server_side=True)
    return lambda: SystemEngine(context, server_side=True)


def client_engines(
    context: ssl.SSLContext, server_hostname: str, *, kind: str | None = None
) -> EngineFactory | None:
    """Client-side `OpenSSLEngine` s checking the server as ``context`` would,
    or ``None`` when that cannot be done: the context must require a
    certificate for the host name and be a `PinnedContext` (the site's pinned
    certificate authority; the system's store stays with Python's ``ssl``)."""
    if _kind(kind) != "openssl" or not isinstance(context, PinnedContext):
        return None
    if context.verify_mode is not ssl.CERT_REQUIRED or not context.check_hostname:
        return None
    anchors = context.anchors
    if not anchors:
        return None
    openssl_context = _new_context(SSL.TLS_CLIENT_METHOD)
    if context.minimum_version is ssl.TLSVersion.TLSv1_3:
        openssl_context.set_min_proto_version(SSL.TLS1_3_VERSION)
    openssl_context.set_verify(SSL.VERIFY_PEER)
    store = openssl_context.get_cert_store()
    assert store is not None
    for der in anchors:
        certificate = x509.load_der_x509_certificate(der)
        store.add_cert(crypto.X509.from_cryptography(certificate))
    return lambda: OpenSSLEngine(
        openssl_context, server_side=False, server_hostname=server_hostname
    )
