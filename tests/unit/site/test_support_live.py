"""Support sessions: the live queue at /live/queue/."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db


class WebsocketCommunicator(ApplicationCommunicator):  # type: ignore[misc]
    """channels.testing.WebsocketCommunicator, whose package needs daphne
    (not installed): connect, receive JSON, wait for silence, disconnect."""

    def __init__(self, application: Any, path: str, headers: list[Any]) -> None:
        scope = {
            "type": "websocket",
            "path": path,
            "headers": headers,
            "subprotocols": [],
            "query_string": b"",
        }
        super().__init__(application, scope)

    async def connect(self, timeout: float = 5) -> tuple[bool, Any]:
        await self.send_input({"type": "websocket.connect"})
        answer = await self.receive_output(timeout)
        if answer["type"] == "websocket.close":
            return False, answer.get("code", 1000)
        return True, answer.get("subprotocol")

    async def receive_json_from(self, timeout: float = 5) -> Any:
        answer = await self.receive_output(timeout)
        assert answer["type"] == "websocket.send", answer
        return json.loads(answer["text"])

    async def disconnect(self, code: int = 1000) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(1)


def cookie_for(user: Any) -> bytes:
    import time

    client = Client(secure=True)
    client.force_login(user)
    session = client.session
    session["lb_auth_at"] = session["lb_last_seen"] = int(time.time())
    session.save()
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


def communicator(
    cookie: bytes | None, origin: str | None = None
) -> WebsocketCommunicator:
    from lifebuoy.site.asgi import application

    headers = [(b"origin", (origin or settings.LIFEBUOY.public_url).encode())]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/live/queue/", headers=headers)


def test_the_queue_is_pushed_on_connect_and_on_every_change(
    technician: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from lifebuoy.site.support.pins import create_pin

    socket = communicator(cookie_for(technician))

    def change() -> str:
        with django_capture_on_commit_callbacks(execute=True):
            session, _, _ = create_pin(technician, None)
        return session.public_id

    async def scenario() -> tuple[Any, Any, str]:
        assert (await socket.connect())[0]
        first = await socket.receive_json_from()
        session_id = await sync_to_async(change)()
        pushed = await socket.receive_json_from()
        await socket.disconnect()
        return first, pushed, session_id

    first, pushed, session_id = async_to_sync(scenario)()
    assert first == {"type": "queue", "sessions": []}
    assert pushed["type"] == "queue"
    assert [s["id"] for s in pushed["sessions"]] == [session_id]


def test_a_colleague_hears_about_the_groups_queue_but_not_a_private_one(
    technician: Any,
    organization: Any,
    group: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from lifebuoy.site.accounts.models import User
    from lifebuoy.site.support.applet import join
    from lifebuoy.site.support.entry import enter_by_channel
    from lifebuoy.site.support.models import ChannelLink
    from lifebuoy.site.support.pins import create_pin

    colleague = User.objects.create_user(
        "carl@acme.test",
        "x" * 16,
        organization=organization,
        name="Carl",
        role="technician",
        group=group,
    )
    link = ChannelLink.objects.create(group=group)
    socket = communicator(cookie_for(colleague))

    def private_pin() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            create_pin(technician, None)

    def group_session() -> str:
        with django_capture_on_commit_callbacks(execute=True):
            session, _ = enter_by_channel(link.token, None, "Bob", "")
            join(session, bytes(32), "pc", "os")
        return session.public_id

    async def scenario() -> tuple[bool, list[Any], str]:
        assert (await socket.connect())[0]
        await socket.receive_json_from()
        await sync_to_async(private_pin)()
        quiet = await socket.receive_nothing(timeout=0.3)
        session_id = await sync_to_async(group_session)()
        found = [await socket.receive_json_from()]
        while not await socket.receive_nothing(timeout=0.3):
            found.append(await socket.receive_json_from())
        await socket.disconnect()
        return quiet, found, session_id

    quiet, seen, session_id = async_to_sync(scenario)()
    assert quiet, "a private PIN of someone else was pushed"
    assert [s["id"] for s in seen[-1]["sessions"]] == [session_id]


def test_a_foreign_origin_is_refused(technician: Any) -> None:
    socket = communicator(cookie_for(technician), origin="https://evil.example")

    async def attempt() -> bool:
        connected, _ = await socket.connect()
        return bool(connected)

    assert async_to_sync(attempt)() is False


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_only_technicians_get_the_live_queue(admin: Any, who: str) -> None:
    socket = communicator(cookie_for(admin) if who == "admin" else None)

    async def attempt() -> tuple[bool, Any]:
        connected, code = await socket.connect()
        return bool(connected), code

    connected, code = async_to_sync(attempt)()
    assert connected is False
    assert code == (4403 if who == "admin" else 4401)
