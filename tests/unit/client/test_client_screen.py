"""The client's screen messages (docs/screen.md): read strictly, delivered as
events; the policy after hello; messages sent as they are."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channel_helpers import run_async

from lifebuoy.client import MessageError, PictureMessage, ScreenMessage
from lifebuoy.client._eventlog import EventLog
from lifebuoy.client._messages import Unknown, parse
from lifebuoy.client._session import TechnicianSession


def raw(**body: Any) -> bytes:
    return json.dumps(body).encode()


GOOD = {
    "answer": {"id": "r1", "what": "control", "allowed": True, "reason": "customer"},
    "screen.state": {"view": True, "control": False, "by": "customer"},
    "refused": {"what": "control", "reason": "control was stopped"},
    "cursor": {"x": 10, "y": -5, "shape": 3, "visible": True},
    "screen.monitors": {
        "monitors": [
            {"index": 1, "x": 0, "y": 0, "width": 1920, "height": 1080, "primary": True}
        ],
        "selected": 0,
    },
    "screen.format": {
        "codec": "avc1.42E01F",
        "width": 1920,
        "height": 1080,
        "monitor": 0,
    },
}


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_screen_messages_come_out_with_their_fields(kind: str) -> None:
    message = parse(raw(t=kind, **GOOD[kind], extra="left out"))

    assert message == ScreenMessage(kind, GOOD[kind])


@pytest.mark.parametrize(
    ("kind", "change"),
    [
        ("answer", {"allowed": "yes"}),
        ("answer", {"what": "files"}),
        ("answer", {"id": "bad id!"}),
        ("answer", {"reason": "x" * 201}),
        ("screen.state", {"view": 1}),
        ("screen.state", {"by": 5}),
        ("refused", {"what": None}),
        ("cursor", {"x": 1.5}),
        ("cursor", {"x": True}),
        ("cursor", {"shape": -1}),
        ("cursor", {"visible": "no"}),
        ("screen.monitors", {"monitors": []}),
        ("screen.monitors", {"monitors": [5]}),
        ("screen.monitors", {"monitors": [{"index": 1}]}),
        ("screen.monitors", {"selected": 9}),
        ("screen.format", {"codec": 264}),
        ("screen.format", {"width": 0}),
        ("screen.format", {"height": 1 << 16}),
    ],
)
def test_screen_messages_with_wrong_fields_are_errors(
    kind: str, change: dict[str, Any]
) -> None:
    with pytest.raises(MessageError):
        parse(raw(t=kind, **{**GOOD[kind], **change}))


def test_binary_messages_are_pictures() -> None:
    video = b"\x00\x01" + bytes(20)

    assert parse(video) == PictureMessage(video)
    with pytest.raises(MessageError):
        parse(b"\x00")
    with pytest.raises(MessageError):
        parse(b"\x00\x02" + bytes(1 << 20))
    with pytest.raises(MessageError):
        parse(b"\x01\x02")


def test_unknown_screen_types_are_ignored() -> None:
    assert parse(raw(t="screen.future", x=1)) == Unknown("screen.future")


class FakeConnection:
    """Just enough of ChannelConnection: sends recorded, receives fed."""

    def __init__(self, incoming: list[bytes]) -> None:
        self.sent: list[bytes] = []
        self.incoming: asyncio.Queue[bytes] = asyncio.Queue()
        for data in incoming:
            self.incoming.put_nowait(data)
        self.closed = None
        self.peer_participant = "customer-1"

    async def send(self, data: bytes) -> None:
        self.sent.append(bytes(data))

    async def receive(self) -> bytes:
        return await self.incoming.get()

    async def close(self, reason: str, code: int = 0) -> None:
        raise AssertionError(f"closed: {reason}")


async def start(incoming: list[bytes], policy: str | None) -> tuple[Any, Any]:
    connection = FakeConnection(incoming)

    async def post(batch: list[dict[str, Any]]) -> None:
        return None

    session = TechnicianSession(
        None,  # type: ignore[arg-type]
        "s_x",
        "technician-7",
        connection,  # type: ignore[arg-type]
        EventLog(post),
        policy=policy,
    )
    return session, connection


@run_async
async def test_the_policy_follows_hello_and_screen_events_come_out() -> None:
    picture = b"\x00\x03" + bytes(16)
    session, connection = await start(
        [raw(t="screen.state", **GOOD["screen.state"]), picture], "the.policy"
    )

    await session._greet("Taylor Tech")
    await session.send_message({"t": "mouse.move", "x": -1, "y": "lie"})

    assert [json.loads(data) for data in connection.sent] == [
        {"t": "hello", "name": "Taylor Tech"},
        {"t": "policy", "token": "the.policy"},
        {"t": "mouse.move", "x": -1, "y": "lie"},
    ]
    first = await session.next_event(5)
    assert first == ScreenMessage("screen.state", GOOD["screen.state"])
    assert await session.next_event(5) == PictureMessage(picture)
    session._reader.cancel()


@run_async
async def test_without_a_policy_only_hello_is_sent() -> None:
    session, connection = await start([], None)

    await session._greet("Taylor Tech")

    assert [json.loads(data)["t"] for data in connection.sent] == ["hello"]
    session._reader.cancel()
