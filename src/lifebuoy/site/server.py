"""``lifebuoy serve``: the site over HTTPS, with the gateway in the same process."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import uvicorn
from asgiref.sync import sync_to_async
from django.conf import settings

from lifebuoy.gateway import CallbackReporter, Gateway, GatewayConfig, SessionEvent

logger = logging.getLogger(__name__)

_KEY_REFRESH_S = 30.0


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
    embedded = await _start_gateway()
    announce = asyncio.create_task(_announce_when_started(server, lifebuoy.public_url))
    try:
        await server.serve()
    finally:
        announce.cancel()
        if embedded is not None:
            gateway, refresher = embedded
            refresher.cancel()
            await gateway.close()
    return 0 if server.started else 1


def _store_report(event: SessionEvent) -> None:
    from lifebuoy.site.relay.store import store

    try:
        store([{**event.to_json(), "at": time.time()}], source="embedded")
    except Exception:
        # Reports are bookkeeping: losing one must never disturb a session.
        logger.exception("could not store the gateway report for %s", event.session_id)


def _report_in_background(event: SessionEvent) -> None:
    """Called on the event loop: store the report in a thread, never block."""
    asyncio.get_running_loop().run_in_executor(None, _store_report, event)


async def _refresh_keys(keys: dict[str, Any]) -> None:
    """Follow signing key rotations: the gateway reads ``keys`` on each ticket."""
    from lifebuoy.site.signing.keys import verification_keys

    while True:
        await asyncio.sleep(_KEY_REFRESH_S)
        try:
            fresh = await sync_to_async(verification_keys)()
        except Exception:
            logger.exception("could not reload the site's signing keys")
            continue
        for key_id in set(keys) - set(fresh):
            del keys[key_id]
        keys.update(fresh)


async def _start_gateway() -> tuple[Gateway, asyncio.Task[None]] | None:
    """The gateway inside this process, on its own port (decision 0002)."""
    from lifebuoy.site.signing.keys import current_key, verification_keys

    lifebuoy = settings.LIFEBUOY
    if not lifebuoy.gateway.embedded:
        return None
    await sync_to_async(current_key)()
    keys: dict[str, Any] = dict(await sync_to_async(verification_keys)())
    tls = lifebuoy.data_dir / "tls"
    config = GatewayConfig(
        site_keys=keys,
        host=lifebuoy.gateway.host,
        port=lifebuoy.gateway.port,
        tls_cert=tls / "site.pem",
        tls_key=tls / "site.key",
        allowed_origins=(lifebuoy.public_url,),
    )
    gateway = Gateway(config, CallbackReporter(_report_in_background))
    await gateway.start()
    logger.info("embedded gateway on wss://%s:%d", config.host, gateway.port)
    return gateway, asyncio.create_task(_refresh_keys(keys))


def serve() -> int:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(_serve_async())
    return uvloop.run(_serve_async())
