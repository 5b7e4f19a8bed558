"""Browser bench: Python to Chromium through the gateway, decrypted with WebCrypto.

Run from the repository root::

    .venv/bin/python bench/_browser.py [--mib 256] [--driver direct|playwright]

Python is the customer, driving ``lifebuoy.protocol.Channel`` over a
``websockets`` client; the technician is the console's ``channel.js`` in
headless Chromium, on a page (``bench/browser/``) served from
``http://127.0.0.1`` (a secure context, so WebCrypto exists). Both go through
an in-process gateway over TLS. The customer sends 1 MiB messages, then closes
the channel; the page counts the bytes it decrypts and posts the rate from the
end of the handshake to the last message. The last line printed is one JSON
object.

By default Chromium is started on its own, with no DevTools client attached:
under Playwright, the DevTools protocol copies every WebSocket frame (base64)
to the driver, which caps any WebSocket near 30 MiB/s on a 2-core machine.
``--driver playwright`` measures that way anyway, for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import http.server
import json
import os
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from websockets.asyncio.client import ClientConnection, connect

from lifebuoy import protocol
from lifebuoy.gateway import Gateway, GatewayConfig, Role, issue_ticket
from lifebuoy.testing.browser import CHROMIUM, CHROMIUM_ARGS
from lifebuoy.testing.certs import self_signed_certificate

ROOT = Path(__file__).resolve().parent.parent
MIB = 2**20
KEY_ID = "bench"
SESSION_ID = "browser-bench"
PAGE_FILES = ROOT / "bench" / "browser"
CONSOLE_FILES = ROOT / "src" / "lifebuoy" / "site" / "static" / "console"

# The retransmit buffer is the sender's choice. Twice the default keeps the
# customer sending while the browser's acknowledgements, one per 1 MiB frame,
# are still on their way back through the gateway.
SENDER_LIMITS = protocol.Limits(retransmit_bytes=16 * MIB)


# TLS.


class _Tls:
    """A self-signed certificate for 127.0.0.1, its contexts and its SPKI pin."""

    def __init__(self, folder: Path) -> None:
        cert_file, key_file = self_signed_certificate(folder)
        key = serialization.load_pem_private_key(key_file.read_bytes(), None)
        self.server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.server.load_cert_chain(cert_file, key_file)
        self.client = ssl.create_default_context(cafile=str(cert_file))

        # What Chromium's --ignore-certificate-errors-spki-list takes.
        spki = key.public_key().public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        self.spki_pin = base64.b64encode(hashlib.sha256(spki).digest()).decode()


# The site: tickets and key certificates.


class _Site:
    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.keys = {KEY_ID: self.key.public_key()}

    def ticket(self, role: Role) -> str:
        return issue_ticket(
            self.key, KEY_ID, SESSION_ID, role, "bench", 600, time.time()
        )

    def certificate(self, role: protocol.Role, public_key: bytes) -> bytes:
        now = int(time.time())
        return protocol.issue_key_certificate(
            self.key,
            KEY_ID,
            session_id=SESSION_ID,
            role=role,
            participant_id=role.label,
            public_key=public_key,
            issued_at=now - 60,
            expires_at=now + 3600,
        )


# The page's web server.


class _PageServer(http.server.ThreadingHTTPServer):
    """Serves the page and the console's modules; answers the page's two posts."""

    daemon_threads = True

    def __init__(self, site: _Site) -> None:
        super().__init__(("127.0.0.1", 0), _PageHandler)
        self.site = site
        self.gateway_url = ""
        self.loop = asyncio.get_running_loop()
        self.result: asyncio.Future[dict[str, Any]] = self.loop.create_future()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def certify(self, request: dict[str, Any]) -> dict[str, Any]:
        """The technician's configuration, with a certificate for its key."""
        public_key = bytes.fromhex(request["publicKey"])
        certificate = self.site.certificate(protocol.Role.TECHNICIAN, public_key)
        return {
            "url": f"{self.gateway_url}/v1/technician",
            "ticket": self.site.ticket(Role.TECHNICIAN),
            "sessionId": SESSION_ID,
            "certificate": certificate.hex(),
            "keyId": KEY_ID,
            "siteKey": self.site.key.public_key().public_bytes_raw().hex(),
        }

    def finish(self, result: dict[str, Any]) -> None:
        def settle() -> None:
            if not self.result.done():
                self.result.set_result(result)

        self.loop.call_soon_threadsafe(settle)


class _PageHandler(http.server.SimpleHTTPRequestHandler):
    server: _PageServer

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0]
        if path.startswith("/console/"):
            base, name = CONSOLE_FILES, path.removeprefix("/console/")
        else:
            base, name = PAGE_FILES, path.lstrip("/") or "index.html"
        target = (base / name).resolve()
        return str(target if target.is_relative_to(base) else base / "missing")

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        answer: dict[str, Any] = {}
        if self.path == "/certify":
            answer = self.server.certify(body)
        elif self.path == "/result":
            self.server.finish(body)
        else:
            self.send_error(404)
            return
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per module fetched is noise here


@contextmanager
def _serving(server: _PageServer) -> Iterator[_PageServer]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# The customer.


class _Customer:
    """The customer's end: a sans-I/O channel over one WebSocket."""

    def __init__(self, site: _Site) -> None:
        key = X25519PrivateKey.generate()
        public_key = key.public_key().public_bytes_raw()
        self.channel = protocol.Channel(
            role=protocol.Role.CUSTOMER,
            session_id=SESSION_ID,
            certificate=site.certificate(protocol.Role.CUSTOMER, public_key),
            private_key=key,
            site_keys=site.keys,
            now=time.time(),
            limits=SENDER_LIMITS,
        )
        self.open = asyncio.Event()
        self.room = asyncio.Event()
        self.closed = asyncio.Event()
        self.stalled = 0.0
        """Seconds spent waiting for acknowledgements to free the send buffer."""

    async def run(self, ws: ClientConnection, total: int) -> None:
        """Complete the handshake, send ``total`` bytes, close the channel."""
        reading = asyncio.create_task(self._read(ws))
        await self.open.wait()

        payload = os.urandom(MIB)
        for _ in range(total // MIB):
            await self._send(ws, payload)

        self.channel.close("done")
        await self._flush(ws)
        await self.closed.wait()
        await ws.close()
        await reading

    async def _send(self, ws: ClientConnection, payload: bytes) -> None:
        while len(payload) > self.channel.send_capacity:
            started = time.perf_counter()
            self.room.clear()
            await self.room.wait()
            self.stalled += time.perf_counter() - started
        self.channel.send_message(payload)
        await self._flush(ws)

    async def _read(self, ws: ClientConnection) -> None:
        async for message in ws:
            if isinstance(message, bytes):
                for event in self.channel.receive_frame(message, time.time()):
                    self._on_event(event)
                # An acknowledgement may have made room; it brings no event
                # unless a send was refused first.
                self.room.set()
            elif json.loads(message)["type"] == "paired":
                self.channel.initiate()
            await self._flush(ws)

    def _on_event(self, event: protocol.Event) -> None:
        if isinstance(event, protocol.HandshakeComplete):
            self.open.set()
        elif isinstance(event, protocol.ChannelClosed):
            if not event.clean:
                raise RuntimeError(f"channel failed: {event.code} {event.reason}")
            self.closed.set()

    async def _flush(self, ws: ClientConnection) -> None:
        for frame in self.channel.frames_to_send():
            await ws.send(frame)


# The browser.


async def _direct_chromium(url: str, tls: _Tls, profile: str) -> Any:
    """Chromium on its own, with no DevTools client to copy WebSocket frames."""
    return await asyncio.create_subprocess_exec(
        CHROMIUM,
        "--headless",
        *CHROMIUM_ARGS,
        f"--user-data-dir={profile}",
        f"--ignore-certificate-errors-spki-list={tls.spki_pin}",
        url,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def _run_page(driver: str, url: str, pages: _PageServer, tls: _Tls) -> Any:
    """Open the page; wait for the result it posts."""
    if driver == "playwright":
        from playwright.async_api import async_playwright

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            context = await browser.new_context(ignore_https_errors=True)
            page = await context.new_page()
            await page.goto(url)
            result = await pages.result
            await browser.close()
            return result

    with tempfile.TemporaryDirectory(
        prefix="lifebuoy-chromium-", ignore_cleanup_errors=True
    ) as profile:
        chromium = await _direct_chromium(url, tls, profile)
        try:
            return await pages.result
        finally:
            chromium.terminate()
            await chromium.wait()


async def _measure(total_mib: int, driver: str) -> dict[str, Any]:
    site = _Site()
    with (
        tempfile.TemporaryDirectory() as folder,
        _serving(_PageServer(site)) as pages,
    ):
        tls = _Tls(Path(folder))
        config = GatewayConfig(
            site_keys=site.keys,
            port=0,
            ssl_context=tls.server,
            allowed_origins=(pages.origin,),
        )
        async with Gateway(config) as gateway:
            pages.gateway_url = f"wss://127.0.0.1:{gateway.port}"
            customer = _Customer(site)
            ws = await connect(
                f"{pages.gateway_url}/v1/customer",
                ssl=tls.client,
                compression=None,
                max_size=2 * MIB,
                write_limit=4 * MIB,
            )
            await ws.send(site.ticket(Role.CUSTOMER))
            async with asyncio.timeout(600):
                result, _ = await asyncio.gather(
                    _run_page(driver, f"{pages.origin}/index.html", pages, tls),
                    customer.run(ws, total_mib * MIB),
                )

    if "error" in result:
        raise RuntimeError(f"the page failed: {result['error']}")
    result["customer_stalled_s"] = customer.stalled
    return dict(result)


def _run(coroutine: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    """Run with uvloop when it is installed, as ``lifebuoy gateway`` does."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


def measure_browser_mib_s(
    total_mib: int = 256, driver: str = "direct"
) -> dict[str, float]:
    """Send ``total_mib`` MiB from Python to Chromium; what the page measured."""
    result = _run(_measure(total_mib, driver))
    return {name: round(float(value), 2) for name, value in result.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256, help="MiB to send")
    parser.add_argument(
        "--driver",
        choices=["direct", "playwright"],
        default="direct",
        help="start Chromium alone (default) or under Playwright",
    )
    args = parser.parse_args()
    print(json.dumps(measure_browser_mib_s(args.mib, args.driver)))


if __name__ == "__main__":
    main()
