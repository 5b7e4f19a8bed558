"""Gateway configuration: frozen values, no behaviour beyond loading files."""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

__all__ = ["GatewayConfig", "Limits", "load_site_keys"]

MIB = 2**20


@dataclass(frozen=True, slots=True)
class Limits:
    """Timeouts and bounds; the defaults suit a production gateway."""

    ticket_timeout: float = 10.0
    """Seconds a new connection has to present its ticket."""
    hold_timeout: float = 600.0
    """Seconds the first end of a never-paired session may wait for the other."""
    resume_grace: float = 60.0
    """Seconds a session is kept after an end's transport dropped."""
    ping_interval: float | None = 20.0
    """Seconds between keepalive pings (well under proxies' 60 s idle timeout)."""
    ping_timeout: float | None = 20.0
    """Seconds to wait for a pong before closing a dead connection."""
    close_timeout: float = 5.0
    """Seconds to wait for a closing handshake before dropping the TCP connection."""
    max_message_size: int = MIB + 64 * 1024
    """Largest message accepted: a 1 MiB channel frame plus its overhead."""
    max_queue: int = 2
    """Received frames buffered per connection before reading pauses."""
    write_limit: int = MIB
    """Write buffer high-water mark per connection, in bytes."""
    max_connections_per_address: int = 64
    """Live connections allowed from one IP address."""
    max_connections: int = 50_000
    """Live connections allowed on the whole gateway."""
    listen_backlog: int = 1024
    """Pending TCP connections the kernel queues (bursts of reconnections)."""


@dataclass(frozen=True)
class GatewayConfig:
    """Everything a gateway needs to run."""

    site_keys: Mapping[str, Ed25519PublicKey]
    """The site's ticket-signing public keys by key id (two during a rotation)."""
    host: str | None = "127.0.0.1"
    """Address to listen on; ``None`` listens on every interface."""
    port: int = 8444
    """TCP port to listen on; 0 picks a free one."""
    tls_cert: Path | None = None
    """PEM certificate chain; without it the gateway speaks plain WebSocket."""
    tls_key: Path | None = None
    """PEM private key of the certificate (defaults to the ``tls_cert`` file)."""
    ssl_context: ssl.SSLContext | None = field(default=None, compare=False)
    """A ready TLS context, used instead of ``tls_cert``/``tls_key`` (with
    Python's ``ssl``: the faster TLS engine needs the files)."""
    tls_engine: str | None = None
    """``"openssl"`` or ``"system"`` to choose the TLS engine; by default the
    one `lifebuoy.tls.engine_kind` names (docs/decisions/0016-tls-engine.md)."""
    allowed_origins: tuple[str, ...] = ()
    """Browser origins allowed to connect, e.g. ``("https://support.example",)``."""
    limits: Limits = field(default_factory=Limits)
    """Timeouts and bounds."""

    def server_ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context to serve with, or ``None`` for plain WebSocket."""
        if self.ssl_context is not None:
            return self.ssl_context
        if self.tls_cert is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.tls_cert, self.tls_key)
        return context

    def tls_files(self) -> tuple[Path | None, Path | None]:
        """The certificate chain and key files to serve with, when given as
        files rather than as a ready context."""
        if self.ssl_context is not None:
            return None, None
        return self.tls_cert, self.tls_key


def load_site_keys(paths: Iterable[tuple[str, Path]]) -> dict[str, Ed25519PublicKey]:
    """Read PEM Ed25519 public keys, given as ``(key id, file)`` pairs."""
    keys: dict[str, Ed25519PublicKey] = {}
    for key_id, path in paths:
        key = load_pem_public_key(path.read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"{path}: not an Ed25519 public key")
        keys[key_id] = key
    return keys
