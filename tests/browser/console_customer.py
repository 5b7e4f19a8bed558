"""A scripted customer for console tests: the customer's pages and the applet
API over httpx, and the channel through ``lifebuoy.protocol.aio``.

It runs its asyncio loop in a thread of its own, so a test driving Chromium
with Playwright's synchronous API can call it as plain functions.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import ssl
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from lifebuoy.protocol import Channel, Role
from lifebuoy.protocol.aio import ChannelConnection, ChannelEnded, connect

T = TypeVar("T")

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Customer:
    """One customer: enters a PIN, joins with the applet API, then chats."""

    def __init__(self, site_url: str, ca_file: Path) -> None:
        self.away_until = 0.0
        self.site_url = site_url
        self.ca_file = ca_file
        self.tls = ssl.create_default_context(cafile=str(ca_file))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.session_file: dict[str, Any] = {}
        self.connection: ChannelConnection | None = None
        self.received: list[dict[str, Any]] = []

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        """Cancel whatever still runs (a waiting applet), then end the loop."""

        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.run(cancel_all())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()

    # -- the customer's pages and the applet API ----------------------------

    def enter_pin(self, pin: str, name: str, problem: str) -> None:
        """The PIN page, then the session file download."""
        with httpx.Client(base_url=self.site_url, verify=self.tls) as web:
            page = web.get("/support/")
            token = _CSRF.search(page.text)
            assert token is not None, page.text
            form = {
                "csrfmiddlewaretoken": token.group(1),
                "pin": pin,
                "name": name,
                "problem": problem,
            }
            headers = {"Referer": f"{self.site_url}/support/"}
            answer = web.post("/support/", data=form, headers=headers)
            assert answer.status_code == 302, answer.text
            download = web.get("/support/ready/lifebuoy.lifebuoy")
            assert download.status_code == 200, download.text
        self.session_file = json.loads(download.content)

    def _applet(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        bearer = {"Authorization": f"Bearer {self.session_file['credential']}"}
        with httpx.Client(base_url=self.site_url, verify=self.tls) as web:
            answer = web.post(f"/api/v1/applet/{action}", json=body, headers=bearer)
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    def join(self, hostname: str, os: str) -> None:
        """Join as the applet does and wait at the gateway in the background."""
        key = X25519PrivateKey.generate()
        raw = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        public_key = base64.b64encode(raw).decode()
        answer = self._applet(
            "join", {"public_key": public_key, "hostname": hostname, "os": os}
        )
        site_keys = {
            key_id: Ed25519PublicKey.from_public_bytes(base64.b64decode(value))
            for key_id, value in self.session_file["signing_keys"].items()
        }
        channel = Channel(
            role=Role.CUSTOMER,
            session_id=self.session_file["session_id"],
            certificate=base64.b64decode(answer["certificate"]),
            private_key=key,
            site_keys=site_keys,
            now=time.time(),
        )
        first: list[str] = [answer["ticket"]]

        async def tickets(gateway_url: str) -> str:
            if first:
                return first.pop()
            # A customer whose network is down stays away until it is back.
            await asyncio.sleep(max(0.0, self.away_until - time.monotonic()))
            fresh = await asyncio.to_thread(self._applet, "ticket", {})
            return str(fresh["ticket"])

        async def open_channel() -> None:
            self.connection = await connect(
                channel, answer["gateways"], tickets, ssl_context=self.tls
            )
            self.loop.create_task(self._read())

        self.opened = asyncio.run_coroutine_threadsafe(open_channel(), self.loop)

    async def _read(self) -> None:
        assert self.connection is not None
        try:
            async for data in self.connection:
                self.received.append(json.loads(data))
        except ChannelEnded:
            pass

    # -- in the session -------------------------------------------------------

    def wait_open(self, timeout: float = 30) -> str:
        self.opened.result(timeout)
        assert self.connection is not None
        return self.connection.comparison_code

    def send(self, **message: Any) -> None:
        assert self.connection is not None
        data = json.dumps(message).encode()
        self.run(self.connection.send(data))

    def wait_for(self, kind: str, timeout: float = 15, **fields: Any) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.received:
                if message.get("t") == kind and all(
                    message.get(k) == v for k, v in fields.items()
                ):
                    return message
            time.sleep(0.05)
        raise AssertionError(f"no {kind} {fields} in {self.received}")

    def end(self) -> None:
        """Press End session: say so, close the channel, tell the site."""
        assert self.connection is not None
        self.send(t="end", reason="customer ended")
        self.run(self.connection.close("customer ended"))
        self._applet("leave", {"reason": "customer ended"})

    def drop_transport(self, away_s: float = 2.0) -> None:
        """Cut the applet's WebSocket as a network failure would; the
        connection joins again by itself after ``away_s`` and resumes the
        channel (long enough for the console to show the customer away)."""
        assert self.connection is not None
        self.away_until = time.monotonic() + away_s
        websocket = self.connection._websocket
        assert websocket is not None
        self.loop.call_soon_threadsafe(websocket.transport.abort)

    def wait_closed(self, timeout: float = 15) -> Any:
        assert self.connection is not None
        return self.run(self.connection.wait_closed(), timeout)
