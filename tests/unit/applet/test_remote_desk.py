"""The applet's remote desk: the signed policy, the customer's consent and the
customer's stop decide; whatever the console sends is only a wish."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lifebuoy.applet import _messages as messages
from lifebuoy.applet._remote import RemoteDesk
from lifebuoy.applet._updates import ScreenShared, Update
from lifebuoy.protocol.policy import issue_policy

SESSION = "s-1"
TECHNICIAN = "technician-7"
SITE_KEY = Ed25519PrivateKey.generate()


def policy(
    allow: tuple[str, ...] = ("view", "control"),
    *,
    single_prompt: bool = False,
    session: str = SESSION,
    participant: str = TECHNICIAN,
    key: Ed25519PrivateKey = SITE_KEY,
) -> messages.Policy:
    now = int(time.time())
    token = issue_policy(
        key,
        "k1",
        session_id=session,
        participant_id=participant,
        allow=allow,
        single_prompt=single_prompt,
        issued_at=now,
        expires_at=now + 3600,
    )
    return messages.Policy(token)


class FakeStreamer:
    def __init__(self) -> None:
        self.acks: list[int] = []
        self.nudges = 0
        self.refreshes = 0
        self.stopped = asyncio.Event()

    async def run(self) -> None:
        await self.stopped.wait()

    async def stop(self) -> None:
        self.stopped.set()

    def ack(self, seq: int) -> None:
        self.acks.append(seq)

    def select(self, monitor: int) -> None:
        if monitor > 1:
            raise ValueError("no such monitor")

    def nudge(self) -> None:
        self.nudges += 1

    def refresh(self) -> None:
        self.refreshes += 1

    def to_screen(self, x: int, y: int) -> tuple[int, int]:
        return x + 1000, y + 10  # as if the second monitor were shown


class FakeSink:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def move(self, x: int, y: int) -> None:
        self.calls.append(("move", x, y))

    def button(self, button: int, down: bool) -> None:
        self.calls.append(("button", button, down))

    def wheel(self, dx: int, dy: int) -> None:
        self.calls.append(("wheel", dx, dy))

    def key(self, key: str, down: bool) -> None:
        if key == "NoSuchKey":
            raise ValueError("no key NoSuchKey")
        self.calls.append(("key", key, down))

    def text(self, text: str) -> None:
        self.calls.append(("text", text))

    def sequence(self, name: str) -> None:
        self.calls.append(("sequence", name))

    def release_all(self) -> None:
        self.calls.append(("release_all",))

    def close(self) -> None:
        self.calls.append(("close",))


class Desk:
    """A desk with every collaborator recorded."""

    def __init__(self, answers: list[bool | None] | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.records: list[dict[str, Any]] = []
        self.updates: list[Update] = []
        self.asked: list[str] = []
        self.answers = list(answers or [])
        self.streamers: list[FakeStreamer] = []
        self.sink = FakeSink()
        self.desk = RemoteDesk(
            session_id=SESSION,
            site_keys={"k1": SITE_KEY.public_key()},
            peer_participant=TECHNICIAN,
            send=self._send,
            ask=self._ask,
            record=lambda event, **fields: self.records.append(
                {"event": event, **fields}
            ),
            notify=self.updates.append,
            technician=lambda: "Taylor Tech",
            streamer_factory=self._streamer,
            input_factory=lambda: self.sink,
        )

    async def _send(self, data: bytes) -> None:
        self.sent.append(json.loads(data))

    async def _ask(self, kind: str, detail: str, timeout: float) -> bool | None:
        self.asked.append(detail)
        return self.answers.pop(0)

    def _streamer(self, send: Any) -> FakeStreamer:
        streamer = FakeStreamer()
        self.streamers.append(streamer)
        return streamer

    async def handle(self, *items: messages.Incoming) -> None:
        for item in items:
            await self.desk.handle(item)
        for _ in range(5):  # requests run as tasks
            await asyncio.sleep(0)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["t"] == kind]

    def recorded(self, event: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["event"] == event]


def run_async(
    test: Callable[[], Coroutine[Any, Any, None]],
) -> Callable[[], None]:
    def wrapper() -> None:
        asyncio.run(test())

    wrapper.__name__ = test.__name__
    return wrapper


CLICK = (
    messages.MouseButton(10, 20, 1, True),
    messages.MouseButton(10, 20, 1, False),
)


@run_async
async def test_without_a_policy_the_technician_can_only_chat() -> None:
    d = Desk()
    await d.handle(messages.Request("r1", "view"), *CLICK)
    assert d.of("answer") == [
        {
            "t": "answer",
            "id": "r1",
            "what": "view",
            "allowed": False,
            "reason": "policy",
        }
    ]
    assert d.asked == []  # the customer is not even asked
    assert d.sink.calls == []
    assert d.recorded("screen.refused")[0]["reason"] == (
        "control is not allowed for this technician"
    )


@run_async
async def test_allowed_control_moves_the_customers_mouse_at_the_right_place() -> None:
    d = Desk(answers=[True])
    await d.handle(policy(), messages.Request("r1", "control"))
    assert d.asked == [
        "Taylor Tech asks to see your screen and control your mouse and keyboard."
    ]
    assert d.of("answer")[0]["allowed"] is True
    assert d.of("screen.state")[-1] == {
        "t": "screen.state",
        "view": True,
        "control": True,
        "by": "customer",
    }
    assert d.updates[-1] == ScreenShared(True, True, "Taylor Tech")

    await d.handle(
        *CLICK,
        messages.MouseWheel(5, 6, 0, 2),
        messages.Key("Enter", "Enter", True),
        messages.Text("é"),
        messages.Sequence("ctrl-alt-del"),
        messages.ScreenAck(4),
    )
    assert d.sink.calls == [
        ("move", 1010, 30),
        ("button", 1, True),
        ("move", 1010, 30),
        ("button", 1, False),
        ("move", 1005, 16),
        ("wheel", 0, 2),
        ("key", "Enter", True),
        ("text", "é"),
        ("sequence", "ctrl-alt-del"),
    ]
    assert d.streamers[0].nudges == 6
    assert d.streamers[0].acks == [4]
    assert [r["what"] for r in d.recorded("screen.start")] == ["view", "control"]
    assert d.recorded("screen.sequence") == [
        {"event": "screen.sequence", "name": "ctrl-alt-del"}
    ]
    # Key strokes and typed text never reach the audit log.
    assert "é" not in json.dumps(d.records)


@run_async
async def test_after_the_customer_stops_control_input_is_refused_and_logged() -> None:
    d = Desk(answers=[True])
    await d.handle(policy(), messages.Request("r1", "control"))
    await d.desk.customer_stop("control")
    assert ("release_all",) in d.sink.calls
    assert d.of("screen.state")[-1] == {
        "t": "screen.state",
        "view": True,
        "control": False,
        "by": "customer",
    }
    calls = len(d.sink.calls)
    await d.handle(*CLICK, messages.Text("rm -rf"))
    assert len(d.sink.calls) == calls
    refused = d.recorded("screen.refused")
    assert len(refused) == 1  # one record, the rest counted
    assert refused[0]["reason"] == "control is off"
    assert d.of("refused") == [
        {"t": "refused", "what": "control", "reason": "control is off"}
    ]
    assert d.recorded("screen.stop") == [
        {"event": "screen.stop", "what": "control", "by": "customer"}
    ]
    # Asking again needs a new yes: the stop took the consent back.
    d.answers.append(False)
    await d.handle(messages.Request("r2", "control"))
    assert len(d.asked) == 2
    assert d.of("answer")[-1]["allowed"] is False


@run_async
async def test_a_group_without_control_cannot_get_it_whatever_the_console_sends() -> (
    None
):
    d = Desk(answers=[True])
    await d.handle(policy(("view",)), messages.Request("r1", "view"))
    assert d.of("answer")[-1]["allowed"] is True
    await d.handle(messages.Request("r2", "control"), *CLICK)
    assert d.of("answer")[-1] == {
        "t": "answer",
        "id": "r2",
        "what": "control",
        "allowed": False,
        "reason": "policy",
    }
    assert len(d.asked) == 1  # the customer was not asked for control
    assert d.sink.calls == []
    assert d.desk.controlling is False


@pytest.mark.parametrize(
    "made",
    [
        policy(participant="technician-8"),
        policy(session="s-2"),
        policy(key=Ed25519PrivateKey.generate()),
        messages.Policy("not.a-policy"),
    ],
    ids=["other technician", "other session", "self-signed", "garbage"],
)
def test_a_policy_not_made_for_this_channel_is_refused(made: messages.Policy) -> None:
    async def go() -> None:
        d = Desk(answers=[True])
        await d.handle(made, messages.Request("r1", "control"), *CLICK)
        assert d.desk.policy is None
        assert len(d.recorded("policy.refused")) == 1
        assert d.of("answer")[-1]["allowed"] is False
        assert d.sink.calls == []

    asyncio.run(go())


@run_async
async def test_single_prompt_asks_once_for_everything_the_group_may_do() -> None:
    d = Desk(answers=[True])
    await d.handle(policy(single_prompt=True), messages.Request("r1", "view"))
    assert d.asked == [
        "Taylor Tech asks to see your screen and control your mouse and keyboard."
    ]
    await d.handle(messages.Request("r2", "control"))
    assert len(d.asked) == 1
    assert d.of("answer")[-1]["reason"] == "earlier answer"
    assert d.desk.controlling


@run_async
async def test_no_answer_means_deny() -> None:
    d = Desk(answers=[None])
    await d.handle(policy(), messages.Request("r1", "view"))
    assert d.of("answer")[-1]["reason"] == "timeout"
    assert d.of("answer")[-1]["allowed"] is False
    assert d.streamers == []


@run_async
async def test_stop_sharing_stops_the_stream_and_closing_releases_everything() -> None:
    d = Desk(answers=[True])
    await d.handle(policy(), messages.Request("r1", "control"))
    await d.desk.customer_stop("view")
    assert d.streamers[0].stopped.is_set()
    assert d.of("screen.state")[-1]["view"] is False
    assert d.updates[-1] == ScreenShared(False, False, "Taylor Tech")
    await d.desk.close()
    assert d.sink.calls[-1] == ("close",)


@run_async
async def test_a_technician_stop_and_a_bad_monitor_are_handled() -> None:
    d = Desk(answers=[True, True])
    await d.handle(policy(), messages.Request("r1", "control"))
    await d.handle(messages.ScreenSelect(5))
    assert d.of("refused")[-1]["reason"] == "no such monitor"
    await d.handle(messages.ScreenStop("control"))
    assert d.of("screen.state")[-1] == {
        "t": "screen.state",
        "view": True,
        "control": False,
        "by": "technician",
    }
    # Without single prompt, the next control needs the customer again.
    await d.handle(messages.Request("r2", "control"))
    assert len(d.asked) == 2


@run_async
async def test_an_unknown_key_is_refused_without_ending_control() -> None:
    d = Desk(answers=[True])
    await d.handle(policy(), messages.Request("r1", "control"))
    await d.handle(messages.Key("NoSuchKey", "", True), messages.Text("ok"))
    assert d.of("refused")[-1]["reason"] == "no key NoSuchKey"
    assert d.sink.calls[-1] == ("text", "ok")


@run_async
async def test_a_machine_without_a_screen_answers_unavailable() -> None:
    d = Desk(answers=[True])

    def broken(send: Any) -> FakeStreamer:
        raise OSError("no X display")

    d.desk._streamer_factory = broken
    await d.handle(policy(), messages.Request("r1", "view"))
    assert d.of("answer")[-1]["reason"] == "unavailable"
    assert d.desk.viewing is False


@run_async
async def test_a_refresh_reaches_the_streamer_only_while_viewing() -> None:
    d = Desk(answers=[True])
    refresh = messages.parse(b'{"t": "screen.refresh"}')
    assert refresh == messages.ScreenRefresh()
    await d.handle(policy(), refresh)  # not viewing yet: nothing to refresh
    assert d.streamers == []
    await d.handle(messages.Request("r1", "view"))
    await d.handle(refresh)
    assert d.streamers[0].refreshes == 1


@pytest.mark.parametrize(
    "body",
    [
        {"t": "mouse.move", "x": -1, "y": 0},
        {"t": "mouse.move", "x": 1, "y": True},
        {"t": "mouse.button", "x": 1, "y": 1, "button": 9, "down": True},
        {"t": "mouse.wheel", "x": 1, "y": 1, "dy": 10_000},
        {"t": "key", "key": "", "down": True},
        {"t": "key", "key": "a" * 33, "down": True},
        {"t": "text", "text": "x" * 1001},
        {"t": "request", "id": "r1", "what": "files"},
        {"t": "screen.ack", "seq": 1.5},
        {"t": "policy", "token": 5},
    ],
)
def test_malformed_screen_messages_are_protocol_errors(body: dict[str, Any]) -> None:
    from lifebuoy.applet._errors import MessageError

    with pytest.raises(MessageError):
        messages.parse(json.dumps(body).encode())
