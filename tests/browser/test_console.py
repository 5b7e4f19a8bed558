"""The Technician Console in real Chromium against a real site and gateway.

The customer is scripted in Python (``console_customer.py``): the PIN page and
the applet API over HTTPS, the channel through ``lifebuoy.protocol.aio``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from console_customer import Customer
from console_helpers import console_page, screenshot
from playwright.sync_api import expect

from lifebuoy.testing.livesite import LiveSite

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TECH1 = "tech1@demo.lifebuoy.test"
TECH2 = "tech2@demo.lifebuoy.test"
HOSTILE_NAME = '<img src=x onerror="window.pwned=1">Ann'
HOSTILE_PROBLEM = "<script>window.pwned=2</script> printer \u202eexe.txt"
HOSTILE_HOST = '"><svg onload="window.pwned=3">'
HOSTILE_CHAT = "<b onmouseover=alert(1)>bold?</b> <script>window.pwned=4</script>"


@pytest.fixture
def customer(site: LiveSite) -> Iterator[Customer]:
    person = Customer(site.url, site.ca_file)
    yield person
    person.stop()


def new_pin(page: Any) -> str:
    digits = page.locator("#pin-digits")
    before = digits.get_attribute("data-pin")
    page.get_by_role("button", name="New PIN").click()
    expect(digits).to_have_text(re.compile(r"^\d{3} \d{3}$"))
    expect(digits).not_to_have_attribute("data-pin", before or "")
    pin: str = digits.get_attribute("data-pin")
    return pin


def assert_not_injected(page: Any) -> None:
    assert page.evaluate("window.pwned") is None
    assert page.locator("img[src=x], svg[onload], b[onmouseover]").count() == 0
    assert page.errors == []


def test_a_session_from_pin_to_the_customer_ending_it(
    site: LiveSite, chromium: Any, customer: Customer, new_passwords: dict[str, str]
) -> None:
    page = console_page(chromium, site, TECH1, new_passwords)
    expect(page.get_by_text("No customers are waiting.")).to_be_visible()
    screenshot(page, "empty")

    # The PIN shows large; the queue shows the new session at once (live).
    pin = new_pin(page)
    queue = page.locator("#queue-private")
    expect(queue).to_contain_text("PIN given")
    expect(page.get_by_text("No customers are waiting.")).to_be_hidden()

    customer.enter_pin(pin, HOSTILE_NAME, HOSTILE_PROBLEM)
    expect(queue.locator(".queue-name")).to_have_text(HOSTILE_NAME)
    customer.join(HOSTILE_HOST, "Debian GNU/Linux 13")
    expect(queue.locator(".queue-host")).to_have_text(f"Computer: {HOSTILE_HOST}")
    expect(queue.locator(".queue-wait")).to_have_text(
        re.compile(r"^\d+ (s|min \d\d s)$")
    )
    screenshot(page, "queue")

    # Pick up: both ends show the same comparison code.
    page.get_by_role("button", name=f"Pick up: {HOSTILE_NAME}").click()
    code = customer.wait_open()
    panel = page.locator(".session-panel:not([hidden])")
    expect(panel.locator(".code-digits")).to_have_text(code)
    expect(panel.locator(".session-phase")).to_have_text("Connected")
    assert customer.wait_for("hello")["name"] == "Taylor Tech"

    # The customer's hello and chat are shown as text.
    customer.send(t="hello", hostname=HOSTILE_HOST, os="Debian 13", user="ann")
    expect(panel.locator(".detail-user")).to_have_text("ann")
    expect(panel.locator(".detail-host")).to_have_text(HOSTILE_HOST)
    expect(panel.locator(".detail-problem")).to_have_text(
        HOSTILE_PROBLEM.replace("\u202e", "\ufffd")
    )
    customer.send(t="chat", id="c-1", text=HOSTILE_CHAT, at="2026-01-01T10:00:00Z")
    expect(panel.locator(".from-customer .chat-text")).to_have_text(HOSTILE_CHAT)
    customer.wait_for("delivered", id="c-1")

    # The technician's line goes out and is marked delivered on the receipt.
    panel.get_by_label("Message to the customer").fill(
        "Hello Ann, <i>can</i> you see this?"
    )
    panel.get_by_label("Message to the customer").press("Enter")
    line = customer.wait_for("chat", text="Hello Ann, <i>can</i> you see this?")
    status = panel.locator(".from-technician .chat-status")
    expect(status).to_have_text("Sent")
    customer.send(t="delivered", id=line["id"])
    expect(status).to_have_text("Delivered")
    assert_not_injected(page)

    # Hold, and back.
    panel.get_by_role("button", name="Hold").click()
    customer.wait_for("hold", on=True)
    expect(panel.locator(".session-phase")).to_have_text("Connected · On hold")
    screenshot(page, "session")
    panel.get_by_role("button", name="Take back from hold").click()
    customer.wait_for("hold", on=False)

    # The customer ends: the console says so and the session is over.
    customer.end()
    expect(panel.locator(".session-ending")).to_have_text(
        "The customer ended the session."
    )
    expect(panel.locator(".session-phase")).to_have_text("Ended")
    expect(panel.get_by_label("Message to the customer")).to_be_disabled()
    screenshot(page, "ended")
    assert_not_injected(page)

    # Every line and event reached the site's log, once.
    session_id = customer.session_file["session_id"]
    log = fetch_log(page, session_id)
    kinds = [event["kind"] for event in log]
    assert kinds.count("chat.customer") == 1
    assert kinds.count("chat.technician") == 1
    assert {"pickup", "hold", "unhold"} <= set(kinds)
    assert (
        page.evaluate(
            "Object.keys(localStorage).filter(k => k.startsWith('lifebuoy.outbox.'))"
        )
        == []
    )


def fetch_log(page: Any, session_id: str) -> list[dict[str, Any]]:
    page.wait_for_function(
        "() => !Object.keys(localStorage).some(k => k.startsWith('lifebuoy.outbox.'))"
    )
    answer = page.evaluate(
        "id => fetch(`/api/v1/sessions/${id}/log`).then(r => r.text())", session_id
    )
    events: list[dict[str, Any]] = json.loads(answer)["events"]
    return events


def start_customer(
    page: Any, site: LiveSite, name: str, problem: str = "help"
) -> Customer:
    person = Customer(site.url, site.ca_file)
    person.enter_pin(new_pin(page), name, problem)
    person.join(f"{name.lower()}-pc", "Debian 13")
    return person


def test_several_sessions_in_tabs_and_the_technician_ends_one(
    site: LiveSite, chromium: Any, new_passwords: dict[str, str]
) -> None:
    page = console_page(chromium, site, TECH1, new_passwords)
    people = [start_customer(page, site, name) for name in ("Bea", "Cal")]
    try:
        for person, name in zip(people, ("Bea", "Cal"), strict=True):
            page.get_by_role("button", name=f"Pick up: {name}").click()
            code = person.wait_open()
            panel = page.locator(f"#panel-{person.session_file['session_id']}")
            expect(panel.locator(".code-digits")).to_have_text(code)

        # Two tabs; the arrow keys move between them.
        tabs = page.get_by_role("tab")
        expect(tabs).to_have_count(2)
        expect(page.get_by_role("tab", name="Cal")).to_have_attribute(
            "aria-selected", "true"
        )
        page.get_by_role("tab", name="Cal").focus()
        page.keyboard.press("ArrowLeft")
        expect(page.get_by_role("tab", name="Bea")).to_have_attribute(
            "aria-selected", "true"
        )
        expect(page.get_by_role("tab", name="Bea")).to_be_focused()
        bea = page.get_by_role("tabpanel")
        expect(bea).to_have_count(1)
        expect(bea.locator(".session-name")).to_have_text("Bea")

        # A line to a tab in the background marks it unread.
        people[1].send(t="chat", id="c-9", text="still there?", at="")
        expect(
            page.get_by_role("tab", name=re.compile(r"^Cal\s*\(new messages\)$"))
        ).to_be_visible()
        page.keyboard.press("ArrowRight")
        expect(page.get_by_role("tab", name="Cal", exact=True)).to_be_visible()
        screenshot(page, "tabs")

        # The technician ends Cal's session: the customer is told and closed.
        cal = page.get_by_role("tabpanel")
        cal.get_by_role("button", name="End session").click()
        page.locator("#end-dialog").get_by_role("button", name="End session").click()
        people[1].wait_for("end", reason="ended")
        closed = people[1].wait_closed()
        assert closed.clean
        assert closed.reason == "ended"
        expect(cal.locator(".session-ending")).to_have_text("You ended the session.")
        kinds = [
            e["kind"] for e in fetch_log(page, people[1].session_file["session_id"])
        ]
        assert "close" in kinds
        assert "chat.customer" in kinds

        cal.get_by_role("button", name="Close tab").click()
        expect(tabs).to_have_count(1)
        assert page.errors == []
    finally:
        for person in people:
            person.stop()


def test_the_customer_drops_and_comes_back_without_losing_a_line(
    site: LiveSite, chromium: Any, new_passwords: dict[str, str]
) -> None:
    page = console_page(chromium, site, TECH1, new_passwords)
    person = start_customer(page, site, "Dee")
    try:
        page.get_by_role("button", name="Pick up: Dee").click()
        person.wait_open()
        panel = page.get_by_role("tabpanel")
        expect(panel.locator(".session-phase")).to_have_text("Connected")

        person.drop_transport()
        expect(panel.locator(".session-phase")).to_have_text("Customer away")
        screenshot(page, "customer-away")
        box = panel.get_by_label("Message to the customer")
        box.fill("typed while you were away")
        box.press("Enter")
        expect(panel.locator(".session-phase")).to_have_text(
            "Connected", timeout=20_000
        )
        person.wait_for("chat", text="typed while you were away")
        person.send(t="chat", id="c-2", text="back again", at="")
        expect(panel.locator(".from-customer .chat-text")).to_have_text("back again")
        assert sum(m.get("t") == "chat" for m in person.received) == 1
        assert page.errors == []
    finally:
        person.stop()


def test_a_transferred_session_shows_its_history_to_the_next_technician(
    site: LiveSite, chromium: Any, new_passwords: dict[str, str]
) -> None:
    first = console_page(chromium, site, TECH1, new_passwords)
    person = start_customer(first, site, "Eve", "scanner jams")
    try:
        first.get_by_role("button", name="Pick up: Eve").click()
        person.wait_open()
        person.send(t="chat", id="c-1", text="the scanner <jams>", at="")
        panel = first.get_by_role("tabpanel")
        expect(panel.locator(".from-customer .chat-text")).to_have_text(
            "the scanner <jams>"
        )

        panel.get_by_role("button", name="Transfer…").click()
        dialog = first.locator("#transfer-dialog")
        dialog.get_by_label("Technician's email").fill(TECH2)
        dialog.get_by_label("Note for the next technician").fill("needs the driver")
        dialog.get_by_role("button", name="Transfer").click()
        person.wait_for("transfer", to=TECH2, note="needs the driver")
        closed = person.wait_closed()
        assert closed.clean
        assert closed.reason == "transferred"
        expect(panel.locator(".session-ending")).to_contain_text(
            f"Transferred to {TECH2}"
        )

        # The applet starts over with a new key; the next technician sees the note
        # in their queue and the earlier chat above the new one.
        second = console_page(chromium, site, TECH2, new_passwords)
        expect(second.locator(".queue-note")).to_have_text(
            "Transfer note: needs the driver"
        )
        person.join("eve-pc", "Debian 13")
        second.get_by_role("button", name="Pick up: Eve").click()
        code = person.wait_open()
        panel2 = second.get_by_role("tabpanel")
        expect(panel2.locator(".code-digits")).to_have_text(code)
        history = panel2.locator(".history-log")
        expect(history).to_contain_text("the scanner <jams>")
        expect(history).to_contain_text("needs the driver")
        screenshot(second, "transferred")
        assert first.errors == []
        assert second.errors == []
    finally:
        person.stop()
