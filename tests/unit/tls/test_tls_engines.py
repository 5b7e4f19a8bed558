"""The two TLS engines, in memory: each against the other, certificate checks,
tampering, garbage and close_notify."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from lifebuoy.testing.certs import CertificateAuthority as Authority
from lifebuoy.tls import (
    Engine,
    OpenSSLEngine,
    SystemEngine,
    client_engines,
    engine_kind,
    openssl_engine_available,
    pinned_context,
    server_engines,
)

KINDS = ["system", "openssl"]


@pytest.fixture
def authority(tmp_path: Path) -> Authority:
    return Authority(tmp_path / "authority")


def server_engine(kind: str, files: tuple[Path, Path]) -> Engine:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*files)
    return server_engines(context, *files, kind=kind)()


def client_engine(kind: str, authority: Authority, host: str) -> Engine:
    context = pinned_context(cadata=authority.pem)
    if kind == "system":
        return SystemEngine(context, server_side=False, server_hostname=host)
    engines = client_engines(context, host, kind="openssl")
    assert engines is not None
    return engines()


def pump(client: Engine, server: Engine) -> None:
    """Run both handshakes to their end, passing every byte across."""
    for _ in range(10):
        done = 0
        for engine in (client, server):
            try:
                engine.do_handshake()
                done += 1
            except ssl.SSLWantReadError:
                pass
        server.feed(client.take())
        client.feed(server.take())
        if done == 2:
            return
    raise AssertionError("the handshake did not finish")


def connected(authority: Authority, kind: str) -> tuple[Engine, Engine]:
    """A client and a server engine of one kind, past their handshake."""
    server = server_engine(kind, authority.issue("127.0.0.1"))
    client = client_engine(kind, authority, "127.0.0.1")
    pump(client, server)
    return client, server


def read_all(engine: Engine) -> bytes:
    received = bytearray()
    while True:
        try:
            received += engine.read(65536)
        except ssl.SSLWantReadError:
            return bytes(received)


@pytest.mark.parametrize("server_kind", KINDS)
@pytest.mark.parametrize("client_kind", KINDS)
def test_engines_interoperate_and_carry_data_unchanged(
    authority: Authority, server_kind: str, client_kind: str
) -> None:
    server = server_engine(server_kind, authority.issue("127.0.0.1"))
    client = client_engine(client_kind, authority, "127.0.0.1")
    pump(client, server)
    assert client.version() == server.version() == "TLSv1.3"
    assert client.cipher() == server.cipher()

    data = os.urandom(3 * 2**20 + 7)
    client.write(data)
    wire = client.take()
    assert len(wire) > len(data)
    received = bytearray()
    for start in range(0, len(wire), 65536):  # as the socket hands it over
        server.feed(wire[start : start + 65536])
        received += read_all(server)
    assert received == data
    assert not server.has_input()
    assert server.pending() == 0

    server.write(b"answer")
    client.feed(server.take())
    assert read_all(client) == b"answer"


def test_openssl_engine_is_the_default_with_the_pinned_pyopenssl(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # If a pyOpenSSL upgrade dropped a binding, Lifebuoy would quietly fall
    # back to the slower engine; this says so instead.
    monkeypatch.delenv("LIFEBUOY_TLS_ENGINE", raising=False)
    assert openssl_engine_available()
    assert engine_kind() == "openssl"
    monkeypatch.setenv("LIFEBUOY_TLS_ENGINE", "system")
    assert engine_kind() == "system"


def test_openssl_client_refuses_a_certificate_from_another_authority(
    authority: Authority, tmp_path: Path
) -> None:
    stranger = Authority(tmp_path / "stranger", name="Someone else")
    server = server_engine("openssl", stranger.issue("127.0.0.1"))
    client = client_engine("openssl", authority, "127.0.0.1")
    with pytest.raises(ssl.SSLCertVerificationError):
        pump(client, server)


@pytest.mark.parametrize(
    ("names", "host"),
    [
        (["127.0.0.1"], "127.0.0.2"),
        (["gateway.example.test"], "other.example.test"),
        (["*.example.test"], "a.b.example.test"),  # one label per wildcard
        (["gateway.example.test"], "127.0.0.1"),
    ],
)
def test_openssl_client_refuses_a_certificate_for_another_host(
    authority: Authority, names: list[str], host: str
) -> None:
    server = server_engine("openssl", authority.issue(*names))
    client = client_engine("openssl", authority, host)
    with pytest.raises(ssl.SSLCertVerificationError):
        pump(client, server)


@pytest.mark.parametrize(
    ("names", "host"),
    [(["gateway.example.test"], "gateway.example.test"), (["::1"], "::1")],
)
def test_openssl_client_accepts_the_host_its_certificate_names(
    authority: Authority, names: list[str], host: str
) -> None:
    server = server_engine("openssl", authority.issue(*names))
    pump(client_engine("openssl", authority, host), server)


def test_openssl_client_refuses_an_expired_certificate(authority: Authority) -> None:
    server = server_engine("openssl", authority.issue("127.0.0.1", expired=True))
    client = client_engine("openssl", authority, "127.0.0.1")
    with pytest.raises(ssl.SSLCertVerificationError):
        pump(client, server)


@pytest.mark.parametrize("kind", KINDS)
def test_read_into_fills_the_given_buffer_and_leaves_the_rest_pending(
    authority: Authority, kind: str
) -> None:
    client, server = connected(authority, kind)
    data = os.urandom(100_000)  # seven records
    client.write(data)
    server.feed(client.take())

    buffer = bytearray(len(data) + 10)
    view = memoryview(buffer)
    assert server.read_into(view[:10]) == 10
    filled = 10
    while filled < len(data):
        filled += server.read_into(view[filled:])
    assert filled == len(data)
    assert buffer[: len(data)] == data
    with pytest.raises(ssl.SSLWantReadError):
        server.read_into(view)


@pytest.mark.parametrize("kind", KINDS)
def test_taken_ciphertext_stays_as_it_was_taken(
    authority: Authority, kind: str
) -> None:
    # The layer hands what take() returns to the transport as it is, so the
    # engine must never write into it again.
    client, server = connected(authority, kind)
    client.write(b"first" * 1000)
    first = client.take()
    copy = bytes(first)
    client.write(b"second" * 1000)
    second = client.take()
    assert bytes(first) == copy
    with pytest.raises(TypeError):
        memoryview(first)[0] = 0  # read-only
    server.feed(first)
    server.feed(second)
    assert read_all(server) == b"first" * 1000 + b"second" * 1000


@pytest.mark.parametrize("kind", KINDS)
def test_a_tampered_record_fails_after_the_good_ones_are_read(
    authority: Authority, kind: str
) -> None:
    server = server_engine(kind, authority.issue("127.0.0.1"))
    client = client_engine("system", authority, "127.0.0.1")
    pump(client, server)
    client.write(b"first")
    first = client.take()
    client.write(b"second")
    second = bytearray(client.take())
    second[-1] ^= 1  # the last byte of the authentication tag

    server.feed(first + bytes(second))
    assert server.read(65536) == b"first"
    with pytest.raises(ssl.SSLError) as raised:
        server.read(65536)
    assert not isinstance(raised.value, ssl.SSLWantReadError)


@pytest.mark.parametrize("kind", KINDS)
def test_garbage_instead_of_a_handshake_is_an_error(
    authority: Authority, kind: str
) -> None:
    server = server_engine(kind, authority.issue("127.0.0.1"))
    server.feed(b"GET / HTTP/1.1\r\nHost: gateway\r\n\r\n" + os.urandom(200))
    with pytest.raises(ssl.SSLError) as raised:
        server.do_handshake()
    assert not isinstance(raised.value, ssl.SSLWantReadError)


@pytest.mark.parametrize("kind", KINDS)
def test_close_notify_goes_both_ways(authority: Authority, kind: str) -> None:
    server = server_engine(kind, authority.issue("127.0.0.1"))
    client = client_engine(kind, authority, "127.0.0.1")
    pump(client, server)
    with pytest.raises(ssl.SSLWantReadError):
        client.unwrap()  # sent; the server's has not come
    server.feed(client.take())
    assert server.read(65536) == b""
    server.unwrap()
    client.feed(server.take())
    client.unwrap()


def test_client_engines_only_for_pinned_contexts_that_check_the_host(
    authority: Authority,
) -> None:
    assert client_engines(ssl.create_default_context(), "h", kind="openssl") is None
    unchecked = pinned_context(cadata=authority.pem)
    unchecked.check_hostname = False
    unchecked.verify_mode = ssl.CERT_NONE
    assert client_engines(unchecked, "h", kind="openssl") is None
    pinned = pinned_context(cadata=authority.pem)
    assert client_engines(pinned, "h", kind="system") is None
    engines = client_engines(pinned, "127.0.0.1", kind="openssl")
    assert engines is not None
    assert isinstance(engines(), OpenSSLEngine)


def test_pinned_context_trusts_exactly_the_given_certificates(
    authority: Authority, tmp_path: Path
) -> None:
    (tmp_path / "ca.pem").write_text(authority.pem)
    context = pinned_context(cafile=tmp_path / "ca.pem")
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.anchors == (
        authority.certificate.public_bytes(serialization.Encoding.DER),
    )
    assert context.get_ca_certs(binary_form=True) == list(context.anchors)
    with pytest.raises(ValueError, match="PEM"):
        pinned_context(cadata="not a certificate")
