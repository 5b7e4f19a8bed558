"""Client WebSockets over Lifebuoy's own TLS layer."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as websockets_connect
from websockets.proxy import get_proxy
from websockets.uri import parse_uri

from ._engine import EngineFactory, client_engines
from ._layer import TLSSettings

__all__ = ["connect"]


def connect(
    uri: str, *, ssl: ssl.SSLContext | None = None, **kwargs: Any
) -> websockets_connect:
    """``websockets``' ``connect``, with TLS done by `TLSLayer` on an
    `OpenSSLEngine` when ``ssl`` allows it (see `client_engines`), else by
    the event loop with ``ssl``. Takes ``websockets``' arguments, except the
    ones of proxies and of ``loop.create_connection``."""
    ws_uri = parse_uri(uri)
    proxy = kwargs.get("proxy", True)
    if proxy is True:
        proxy = get_proxy(ws_uri)  # from the environment, as websockets does
    if ws_uri.secure and ssl is not None and proxy is None:
        engines = client_engines(ssl, ws_uri.host)
        if engines is not None:
            kwargs["proxy"] = None
            return _OwnTLSConnect(uri, engines=engines, **kwargs)
    return websockets_connect(uri, ssl=ssl, **kwargs)


class _OwnTLSConnect(websockets_connect):
    """``connect`` whose TCP connection gets a `TLSLayer` under the WebSocket
    connection; the opening handshake waits for the TLS handshake."""

    def __init__(self, uri: str, *, engines: EngineFactory, **kwargs: Any) -> None:
        super().__init__(uri, **kwargs)
        self._settings = TLSSettings(
            engines,
            handshake_timeout=self.open_timeout or 10.0,
            shutdown_timeout=kwargs.get("close_timeout") or 10.0,
        )

    async def open_tcp_connection(self) -> ClientConnection:
        loop = asyncio.get_running_loop()
        connection = self.factory(self.ws_uri)
        layer = self._settings.wrap(connection)
        handshake: asyncio.Future[None] = loop.create_future()

        def handshake_ended(exc: BaseException | None) -> None:
            if handshake.done():
                return
            if exc is None:
                handshake.set_result(None)
            else:
                handshake.set_exception(exc)

        layer.on_handshake = handshake_ended
        await loop.create_connection(lambda: layer, self.ws_uri.host, self.ws_uri.port)
        try:
            await handshake
        except BaseException:
            layer.abort()
            raise
        return connection
