"""The applet core against an in-memory site, a real gateway on port 0 and a
technician driven through ``lifebuoy.protocol.aio``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from applet_helpers import (
    SESSION_ID,
    FakeSite,
    Updates,
    message,
    receive_json,
    session_file,
)
from channel_helpers import FAST_RETRIES, Site, run_async, running_gateway, url

from lifebuoy.applet import (
    AppletCore,
    AuditLog,
    ChatDelivered,
    ChatShown,
    CodeShown,
    ConsentRequested,
    Ended,
    Machine,
    Notice,
    SiteError,
    Status,
    StatusChanged,
    TechnicianShown,
)
from lifebuoy.applet._core import VIOLATION
from lifebuoy.protocol.aio import ChannelConnection

MACHINE = Machine("pc-of-pat", "Linux 6.1", "pat")


def make_core(
    site: Site, fake: FakeSite, updates: Updates, audit_dir: Path | None = None
) -> AppletCore:
    file = session_file(site, fake.gateways)
    audit = AuditLog(audit_dir, SESSION_ID, file.site) if audit_dir else None
    return AppletCore(
        file,
        fake,
        updates,
        audit=audit,
        machine=MACHINE,
        ssl_context=site.client_ssl(),
        reconnect=FAST_RETRIES,
    )


async def connected(
    fake: FakeSite, updates: Updates, name: str, after: int = 0
) -> ChannelConnection:
    """Wait for the applet to wait; connect a technician who says hello."""
    await updates.wait_for(StatusChanged, after=after, status=Status.WAITING)
    technician = await fake.technician()
    hello = await receive_json(technician)
    assert hello == {"t": "hello", "hostname": "pc-of-pat", "os": "Linux 6.1",
                     "user": "pat"}  # fmt: skip
    await technician.send(message("hello", name=name))
    await updates.wait_for(TechnicianShown, after=after, name=name)
    return technician


@run_async
async def test_applet_chats_both_ways_and_the_customer_ends(
    site: Site, tmp_path: Path
) -> None:
    async with running_gateway(site) as gw:
        fake = FakeSite(site, [url(gw)])
        updates = Updates()
        core = make_core(site, fake, updates, tmp_path)
        running = asyncio.create_task(core.run())
        technician = await connected(fake, updates, "Taylor Tech")

        # Both ends show the same comparison code.
        shown = await updates.wait_for(CodeShown)
        assert shown.code == technician.comparison_code

        # The technician's line is shown and acknowledged.
        await technician.send(message("chat", id="t1", text="Hi <b>Pat</b>", at="x"))
        line = await updates.wait_for(ChatShown, sender="technician")
        assert line.text == "Hi <b>Pat</b>"
        assert await receive_json(technician) == {"t": "delivered", "id": "t1"}

        # The customer's line arrives; its receipt marks it delivered.
        assert await core.send_chat("my printer is broken")
        chat = await receive_json(technician)
        assert (chat["t"], chat["text"]) == ("chat", "my printer is broken")
        await technician.send(message("delivered", id=chat["id"]))
        delivered = await updates.wait_for(ChatDelivered)
        assert (delivered.id, delivered.number) == (chat["id"], 1)

        # Hold and back.
        await technician.send(message("hold", on=True))
        await updates.wait_for(StatusChanged, status=Status.ON_HOLD)

        # End session: an end message, a clean close with the reason, leave.
        await core.end()
        assert await receive_json(technician) == {
            "t": "end",
            "reason": "customer ended",
        }
        closed = await technician.wait_closed()
        assert (closed.clean, closed.reason) == (True, "customer ended")
        outcome = await running

    assert not outcome.error
    assert outcome.file_used
    assert fake.calls[-1] == ("leave", "customer ended")
    assert isinstance(updates.seen[-1], Ended)
    assert updates.seen[-2] == StatusChanged(Status.ENDED, "You ended the session.")

    # The audit log has the story and none of the chat.
    log = (tmp_path / "audit.jsonl").read_text()
    events = [json.loads(line)["event"] for line in log.splitlines()]
    assert events == [
        "session.start",
        "join",
        "channel.open",
        "technician",
        "hold",
        "session.end",
    ]
    assert "printer" not in log
    assert "Pat</b>" not in log
    assert "eyJ" not in log  # no credential


@run_async
async def test_applet_end_while_waiting_leaves_without_a_channel(site: Site) -> None:
    async with running_gateway(site) as gw:
        fake = FakeSite(site, [url(gw)])
        updates = Updates()
        core = make_core(site, fake, updates)
        running = asyncio.create_task(core.run())
        await updates.wait_for(StatusChanged, status=Status.WAITING)
        assert not await core.send_chat("anyone there?")
        assert updates.of(Notice)

        await core.end()
        outcome = await asyncio.wait_for(running, 10)

    assert (outcome.error, outcome.reason) == (False, "You ended the session.")
    assert [call[0] for call in fake.calls] == ["join", "leave"]


@run_async
async def test_applet_starts_over_with_a_new_key_after_a_transfer(site: Site) -> None:
    async with running_gateway(site) as gw:
        fake = FakeSite(site, [url(gw)])
        updates = Updates()
        core = make_core(site, fake, updates)
        running = asyncio.create_task(core.run())
        first = await connected(fake, updates, "Taylor Tech")
        first_code = first.comparison_code

        await first.send(message("transfer", to="Robin Second", note="printer expert"))
        await first.close("transferred")
        status = await updates.wait_for(StatusChanged, status=Status.TRANSFERRING)
        assert status.detail.startswith("You are being transferred to Robin Second.")

        # A new join with a new key, a new channel, a new code.
        mark = updates.seen.index(status)
        second = await connected(fake, updates, "Robin Second", after=mark)
        await updates.wait_for(CodeShown, after=mark, code=second.comparison_code)
        assert second.comparison_code != first_code
        joins = [call[1] for call in fake.calls if call[0] == "join"]
        assert len(joins) == 2
        assert joins[0] != joins[1]

        # The technician ends: no leave, no error.
        await second.send(message("end", reason="fixed"))
        await second.close("ended")
        outcome = await asyncio.wait_for(running, 10)

    assert (outcome.error, outcome.reason) == (
        False,
        "The technician ended the session.",
    )
    assert "leave" not in [call[0] for call in fake.calls]


@run_async
async def test_applet_ends_the_session_on_a_message_that_is_not_an_object(
    site: Site,
) -> None:
    async with running_gateway(site) as gw:
        fake = FakeSite(site, [url(gw)])
        updates = Updates()
        core = make_core(site, fake, updates)
        running = asyncio.create_task(core.run())
        technician = await connected(fake, updates, "Mallory")

        await technician.send(message("screen.future", x=1))  # ignored
        await technician.send(message("chat", id="c1", text="still here", at="x"))
        await updates.wait_for(ChatShown, text="still here")

        await technician.send(b"[1, 2, 3]")
        closed = await technician.wait_closed()
        outcome = await asyncio.wait_for(running, 10)

    assert closed.code == VIOLATION
    assert closed.by_peer
    assert outcome.error
    assert "protect you" in outcome.reason
    assert fake.calls[-1] == ("leave", "applet error")


@run_async
async def test_applet_shows_names_without_control_characters(site: Site) -> None:
    async with running_gateway(site) as gw:
        fake = FakeSite(site, [url(gw)])
        updates = Updates()
        core = make_core(site, fake, updates)
        running = asyncio.create_task(core.run())
        await updates.wait_for(StatusChanged, status=Status.WAITING)
        technician = await fake.technician()
        await receive_json(technician)
        await technician.send(message("hello", name="Bank\x1b[2J\u202eofficial"))
        shown = await updates.wait_for(TechnicianShown)
        assert shown.name == "Bank\ufffd[2J\ufffdofficial"
        await core.end()
        await running


@run_async
async def test_applet_reports_a_refused_join_and_marks_the_file_used(
    site: Site,
) -> None:
    fake = FakeSite(site, ["wss://127.0.0.1:9"])
    fake.refuse_join = SiteError("This support session has ended.", status=401)
    updates = Updates()
    outcome = await make_core(site, fake, updates).run()
    assert outcome.error
    assert outcome.file_used
    assert outcome.reason == "This support session has ended."
    assert updates.of(Ended)[0].error


@run_async
async def test_applet_keeps_the_file_when_the_site_is_unreachable(site: Site) -> None:
    fake = FakeSite(site, ["wss://127.0.0.1:9"])
    fake.refuse_join = SiteError("The support site cannot be reached.")
    outcome = await make_core(site, fake, Updates()).run()
    assert outcome.error
    assert not outcome.file_used
    assert not outcome.leave


@run_async
async def test_applet_refuses_a_certificate_from_an_unpinned_key(site: Site) -> None:
    other = Site(site.cert_file, site.key_file)  # another site key
    fake = FakeSite(other, ["wss://127.0.0.1:9"])
    outcome = await make_core(site, fake, Updates()).run()
    assert outcome.error
    assert "does not fit this session" in outcome.reason


@run_async
async def test_applet_records_requests_and_answers(site: Site, tmp_path: Path) -> None:
    fake = FakeSite(site, ["wss://127.0.0.1:9"])
    updates = Updates()
    core = make_core(site, fake, updates, tmp_path)
    asking = asyncio.create_task(core.ask("screen.view", "See your screen"))
    request = await updates.wait_for(ConsentRequested)
    core.answer(request.request_id, True)
    assert await asking is True

    records = [
        json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()
    ]
    assert [r["event"] for r in records] == ["request", "answer"]
    assert records[1]["allowed"] is True
    assert records[1]["kind"] == "screen.view"
