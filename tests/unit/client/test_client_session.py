"""The client library against a fake site (httpx MockTransport): login with a
password change, pickup, chat with the real applet core through a real
gateway, hold, the session log, transfer and close."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import httpx
from applet_helpers import SESSION_ID, FakeSite, Updates, session_file
from channel_helpers import FAST_RETRIES, KEY_ID, Site, run_async, running_gateway, url

from lifebuoy import gateway
from lifebuoy.applet import (
    AppletCore,
    ChatDelivered,
    ChatShown,
    Machine,
    Status,
    StatusChanged,
    TechnicianShown,
)
from lifebuoy.client import (
    ChatReceived,
    CustomerHello,
    Delivered,
    SessionClosed,
    SiteClient,
    TechnicianSession,
)
from lifebuoy.protocol import Role, issue_key_certificate

FORM = '<form><input type="hidden" name="csrfmiddlewaretoken" value="{}"></form>'


class FakeTechnicianSite:
    """The technician's side of the site, as pages and JSON answers."""

    def __init__(self, site: Site, gateways: list[str]) -> None:
        self.site = site
        self.gateways = gateways
        self.requests: list[tuple[str, str, Any]] = []
        self.events: dict[str, dict[str, Any]] = {}
        self.password_changed = False
        self.events_down = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = request.content.decode()
        self.requests.append((request.method, request.url.path, body))
        path = request.url.path
        if path.startswith("/api/"):
            assert request.headers["x-csrftoken"] == "api-token"
            return self._api(path, json.loads(body) if body else {})
        if request.method == "GET":
            if path == "/console/":
                return httpx.Response(
                    200, text='<meta name="csrf-token" content="api-token">'
                )
            return httpx.Response(200, text=FORM.format("form-token"))
        assert "csrfmiddlewaretoken=form-token" in body
        if path == "/accounts/login/":
            return httpx.Response(302, headers={"location": "/accounts/password/"})
        self.password_changed = "new_password=better+password+2026" in body
        return httpx.Response(302, headers={"location": "/"})

    def _api(self, path: str, body: dict[str, Any]) -> httpx.Response:
        action = path.rsplit("/", 1)[-1]
        if action == "pickup":
            return httpx.Response(200, json=self._pickup(body["public_key"]))
        if action == "events":
            if self.events_down:
                self.events_down -= 1
                return httpx.Response(503, json={"error": "busy"})
            for event in body["events"]:
                self.events.setdefault(event["id"], event)
            return httpx.Response(200, json={"stored": 1, "duplicates": 0})
        return httpx.Response(200, json={"session": {"id": SESSION_ID}, "ticket": "t"})

    def _pickup(self, public_key: str) -> dict[str, Any]:
        now = int(time.time())
        certificate = issue_key_certificate(
            self.site.site_key,
            KEY_ID,
            session_id=SESSION_ID,
            role=Role.TECHNICIAN,
            participant_id="technician-7",
            public_key=base64.b64decode(public_key),
            issued_at=now - 60,
            expires_at=now + 3600,
        )
        ticket = gateway.issue_ticket(
            self.site.site_key,
            KEY_ID,
            SESSION_ID,
            gateway.Role.TECHNICIAN,
            "technician-7",
            120,
            time.time(),
        )
        key = self.site.site_key.public_key().public_bytes_raw()
        return {
            "ticket": ticket,
            "certificate": base64.b64encode(certificate).decode(),
            "gateways": self.gateways,
            "signing_keys": {KEY_ID: base64.b64encode(key).decode()},
            "participant": "technician-7",
            "session": {"id": SESSION_ID},
        }


@run_async
async def test_client_picks_up_chats_and_closes_with_the_applet(site: Site) -> None:
    async with running_gateway(site) as gw:
        applet_site = FakeSite(site, [url(gw)])
        updates = Updates()
        core = AppletCore(
            session_file(site, [url(gw)]),
            applet_site,
            updates,
            machine=Machine("pc-7", "Linux", "pat"),
            ssl_context=site.client_ssl(),
            reconnect=FAST_RETRIES,
        )
        applet = asyncio.create_task(core.run())
        await updates.wait_for(StatusChanged, status=Status.WAITING)

        fake = FakeTechnicianSite(site, [url(gw)])
        fake.events_down = 2
        async with SiteClient(
            "https://site.test",
            verify=site.client_ssl(),
            transport=httpx.MockTransport(fake),
        ) as client:
            await client.login(
                "tech1@demo.test", "one-time", new_password="better password 2026"
            )
            assert fake.password_changed
            session = await client.pickup(
                SESSION_ID, name="Taylor Tech", reconnect=FAST_RETRIES
            )
            await chat_both_ways(session, core, updates)

            await session.hold(True)
            await updates.wait_for(StatusChanged, status=Status.ON_HOLD)
            assert await session.close("fixed") == {"id": SESSION_ID}
            outcome = await applet

        texts = sorted(event["text"] for event in fake.events.values())
        kinds = sorted(event["kind"] for event in fake.events.values())

    assert texts == ["Hello, Taylor here", "thanks!"]
    assert kinds == ["chat.customer", "chat.technician"]
    assert outcome.reason == "The technician ended the session."
    paths = [path for _, path, _ in fake.requests if path.startswith("/api/")]
    assert paths[-1] == f"/api/v1/sessions/{SESSION_ID}/close"
    assert f"/api/v1/sessions/{SESSION_ID}/hold" in paths


async def chat_both_ways(
    session: TechnicianSession, core: AppletCore, updates: Updates
) -> None:
    assert await session.next_event(10) == CustomerHello("pc-7", "Linux", "pat")
    await updates.wait_for(TechnicianShown, name="Taylor Tech")

    line_id = await session.send_chat("Hello, Taylor here")
    await updates.wait_for(ChatShown, text="Hello, Taylor here")
    assert await session.next_event(10) == Delivered(line_id)

    await core.send_chat("thanks!")
    event = await session.next_event(10)
    assert isinstance(event, ChatReceived)
    assert event.text == "thanks!"
    await updates.wait_for(ChatDelivered)


@run_async
async def test_client_transfer_sends_the_customer_on(site: Site) -> None:
    async with running_gateway(site) as gw:
        applet_site = FakeSite(site, [url(gw)])
        updates = Updates()
        core = AppletCore(
            session_file(site, [url(gw)]),
            applet_site,
            updates,
            ssl_context=site.client_ssl(),
            reconnect=FAST_RETRIES,
        )
        applet = asyncio.create_task(core.run())
        await updates.wait_for(StatusChanged, status=Status.WAITING)

        fake = FakeTechnicianSite(site, [url(gw)])
        client = SiteClient(
            "https://site.test",
            verify=site.client_ssl(),
            transport=httpx.MockTransport(fake),
        )
        client._csrf = "api-token"
        session = await client.pickup(SESSION_ID, reconnect=FAST_RETRIES)
        await session.transfer(to_technician="tech2@demo.test", note="printers")
        status = await updates.wait_for(StatusChanged, status=Status.TRANSFERRING)
        assert "tech2@demo.test" in status.detail
        assert isinstance(await session.next_event(5), SessionClosed)

        await updates.wait_for(StatusChanged, status=Status.WAITING, after=1)
        await core.end()
        await applet
        await client.aclose()

    transfer = [b for _, p, b in fake.requests if p.endswith("/transfer")]
    assert json.loads(transfer[0]) == {
        "technician": "tech2@demo.test",
        "group": None,
        "note": "printers",
    }
