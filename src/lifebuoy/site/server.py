"""``lifebuoy serve``: the site over HTTPS, with the gateway in the same process."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvicorn
from django.conf import settings

logger = logging.getLogger(__name__)


async def _announce_when_started(server: uvicorn.Server, url: str) -> None:
    while not server.started:
        if server.should_exit:
            return
        await asyncio.sleep(0.05)
    # Tests and scripts wait for this exact line.
    print(f"Lifebuoy is ready at {url}", flush=True)


async def _serve_async() -> int:
    lifebuoy = settings.LIFEBUOY
    tls = lifebuoy.data_dir / "tls"
    config = uvicorn.Config(
        "lifebuoy.site.asgi:application",
        host=lifebuoy.site.host,
        port=lifebuoy.site.port,
        ssl_certfile=str(tls / "site.pem"),
        ssl_keyfile=str(tls / "site.key"),
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        lifespan="off",
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    gateway = await _start_gateway()
    announce = asyncio.create_task(_announce_when_started(server, lifebuoy.public_url))
    try:
        await server.serve()
    finally:
        announce.cancel()
        if gateway is not None:
            await gateway.close()
    return 0 if server.started else 1


async def _start_gateway() -> Any:
    """The embedded gateway; see lifebuoy.gateway."""
    return None


def serve() -> int:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(_serve_async())
    return uvloop.run(_serve_async())
