"""TLS for Lifebuoy's WebSocket connections: the gateway's and the applet's.

`TLSLayer` does TLS between the event loop's TCP transport and a
``websockets`` connection, on an engine (`server_engines`, `client_engines`):
the OpenSSL that ``cryptography`` ships when it can, else Python's ``ssl``.
`connect` opens a client WebSocket over it. See
``docs/decisions/0015-gateway-tls-layer.md`` and
``docs/decisions/0016-tls-engine.md``.
"""

from ._client import connect
from ._engine import (
    Engine,
    EngineFactory,
    OpenSSLEngine,
    PinnedContext,
    SystemEngine,
    client_engines,
    engine_kind,
    openssl_engine_available,
    pinned_context,
    server_engines,
)
from ._layer import PIECE, READ_SIZE, TLSLayer, TLSSettings

__all__ = [
    "PIECE",
    "READ_SIZE",
    "Engine",
    "EngineFactory",
    "OpenSSLEngine",
    "PinnedContext",
    "SystemEngine",
    "TLSLayer",
    "TLSSettings",
    "client_engines",
    "connect",
    "engine_kind",
    "openssl_engine_available",
    "pinned_context",
    "server_engines",
]
