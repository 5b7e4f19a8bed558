"""An in-memory site for the applet core, a technician driven by hand through
``lifebuoy.protocol.aio``, and a valid session file."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

from channel_helpers import FAST_RETRIES, KEY_ID, Site
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from lifebuoy import gateway
from lifebuoy.applet import JoinAnswer, SessionFile, SiteError, Update
from lifebuoy.applet._session_file import parse_session_file
from lifebuoy.protocol import Channel, Role, issue_key_certificate
from lifebuoy.protocol.aio import ChannelConnection, connect

SESSION_ID = "s_" + "A" * 22
CREDENTIAL = "eyJzaWQiOiJzXyJ9.c2lnbmF0dXJl"


def session_document(
    site: Site, gateways: list[str], /, **changes: Any
) -> dict[str, Any]:
    """The JSON of a valid session file (``changes`` override fields)."""
    document: dict[str, Any] = {
        "type": "lifebuoy-session",
        "version": 1,
        "site": "https://support.example.test",
        "site_ca_pem": site.cert_file.read_text(),
        "gateways": gateways,
        "session_id": SESSION_ID,
        "credential": CREDENTIAL,
        "signing_keys": {
            KEY_ID: base64.b64encode(
                site.site_key.public_key().public_bytes_raw()
            ).decode()
        },
    }
    document.update(changes)
    return document


def session_file(site: Site, gateways: list[str]) -> SessionFile:
    raw = json.dumps(session_document(site, gateways)).encode()
    return parse_session_file(raw)


@dataclass
class FakeSite:
    """The applet API in memory: certifies the applet's keys with the test
    site's key, issues tickets, records every call."""

    site: Site
    gateways: list[str]
    refuse_join: SiteError | None = None
    calls: list[tuple[str, Any]] = field(default_factory=list)
    joined: asyncio.Event = field(default_factory=asyncio.Event)
    joins: int = 0

    async def join(self, public_key: bytes, hostname: str, os: str) -> JoinAnswer:
        self.calls.append(("join", public_key))
        if self.refuse_join is not None:
            raise self.refuse_join
        self.joins += 1
        participant = f"customer-{self.joins}"
        now = int(time.time())
        certificate = issue_key_certificate(
            self.site.site_key,
            KEY_ID,
            session_id=SESSION_ID,
            role=Role.CUSTOMER,
            participant_id=participant,
            public_key=public_key,
            issued_at=now - 60,
            expires_at=now + 3600,
        )
        self.joined.set()
        return JoinAnswer(
            self._ticket(Role.CUSTOMER, participant),
            certificate,
            participant,
            tuple(self.gateways),
        )

    async def ticket(self) -> str:
        self.calls.append(("ticket", None))
        return self._ticket(Role.CUSTOMER, f"customer-{self.joins}")

    async def leave(self, reason: str) -> None:
        self.calls.append(("leave", reason))

    def _ticket(self, role: Role, participant: str) -> str:
        return gateway.issue_ticket(
            self.site.site_key,
            KEY_ID,
            SESSION_ID,
            gateway.Role(role.label),
            participant,
            120,
            time.time(),
        )

    async def technician(self, name: str = "tech-1") -> ChannelConnection:
        """A technician end, connected to the applet (after its handshake)."""
        key = X25519PrivateKey.generate()
        now = int(time.time())
        certificate = issue_key_certificate(
            self.site.site_key,
            KEY_ID,
            session_id=SESSION_ID,
            role=Role.TECHNICIAN,
            participant_id=name,
            public_key=key.public_key().public_bytes_raw(),
            issued_at=now - 60,
            expires_at=now + 3600,
        )
        channel = Channel(
            role=Role.TECHNICIAN,
            session_id=SESSION_ID,
            certificate=certificate,
            private_key=key,
            site_keys=self.site.site_keys,
            now=time.time(),
        )

        async def tickets(gateway_url: str) -> str:
            return self._ticket(Role.TECHNICIAN, name)

        return await connect(
            channel,
            self.gateways,
            tickets,
            ssl_context=self.site.client_ssl(),
            reconnect=FAST_RETRIES,
        )


class Updates:
    """Collects the core's updates; tests wait for one of a kind."""

    def __init__(self) -> None:
        self.seen: list[Update] = []
        self._changed = asyncio.Event()

    def __call__(self, update: Update) -> None:
        self.seen.append(update)
        self._changed.set()

    async def wait_for(
        self, kind: type, timeout: float = 10, after: int = 0, **fields: Any
    ) -> Any:
        """The first update of ``kind`` (from index ``after``) whose fields match,
        waiting if needed."""
        async with asyncio.timeout(timeout):
            while True:
                for update in self.seen[after:]:
                    if isinstance(update, kind) and all(
                        getattr(update, name) == value for name, value in fields.items()
                    ):
                        return update
                self._changed.clear()
                await self._changed.wait()

    def of(self, kind: type) -> list[Any]:
        return [update for update in self.seen if isinstance(update, kind)]


def message(kind: str, **fields: Any) -> bytes:
    return json.dumps({"t": kind, **fields}).encode()


async def receive_json(connection: ChannelConnection) -> dict[str, Any]:
    async with asyncio.timeout(10):
        decoded: dict[str, Any] = json.loads(await connection.receive())
    return decoded
