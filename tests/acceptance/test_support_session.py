"""A whole support session, as people live it, on one real site.

Two technicians in their own Chromium contexts, the customer's real
``lifebuoy-applet --terminal`` in a subprocess, and a master administrator
reading the session log afterwards. Every chat line carries a unique marker:
the Administration Center must show each one, and the site's SQLite files must
hold none of them in the clear.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from acceptance_customer import Applet, Printed, fetch_session_file
from playwright.sync_api import expect

from lifebuoy.testing.browser import log_in
from lifebuoy.testing.livesite import LiveSite

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TECH1 = "tech1@demo.lifebuoy.test"
TECH2 = "tech2@demo.lifebuoy.test"
MASTER = "master@demo.lifebuoy.test"
CUSTOMER = "Pat Acceptance"
PROBLEM = "The label printer prints blank labels"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WAIT_MS = 30_000

WAITING = r"^Status: Waiting for a technician$"
CODE = r"^Comparison code: (\d{3} \d{3})$"


class Markers:
    """Chat lines that carry a marker found nowhere else."""

    def __init__(self) -> None:
        self.all: list[str] = []

    def line(self, words: str) -> str:
        marker = f"MK{secrets.token_hex(8)}"
        self.all.append(marker)
        return f"{words} {marker}"


def test_a_customer_is_helped_by_two_technicians_from_pin_to_session_log(
    site: LiveSite, chromium: Any, tmp_path: Path
) -> None:
    markers = Markers()
    errors: list[str] = []

    # Technician 1 logs in (a new password at first login) and makes a PIN.
    tech1 = console(chromium, site, TECH1, errors)
    pin = new_pin(tech1)
    screenshot(tech1, "01-pin")

    # The customer enters it on /support/ and runs the applet with the file.
    file = fetch_session_file(site, pin, CUSTOMER, PROBLEM, tmp_path)
    applet = Applet(file, tmp_path / "applet-state")
    try:
        ending = help_the_customer(site, chromium, tech1, applet, markers, errors)
    finally:
        applet.stop()
    assert ending.process_code == 0, "\n".join(applet.lines)

    # The master administrator reads the whole exchange in the session log.
    rows = admin_session_log(chromium, site, errors, markers)
    assert [row["kind"] for row in rows] == [
        "pickup",
        "chat.technician",
        "chat.customer",
        "transfer",
        "pickup",
        "chat.technician",
        "chat.customer",
        "close",
    ]
    pickups = [row["actor"] for row in rows if row["kind"] == "pickup"]
    assert pickups == ending.technicians
    chat = [row["text"] for row in rows if row["kind"].startswith("chat.")]
    assert chat == ending.chat
    transfer = next(row for row in rows if row["kind"] == "transfer")
    assert transfer["text"] == f"to {TECH2}: {ending.note}"
    assert rows[-1]["text"] == "customer ended"
    assert errors == []

    # What the page showed in the clear, the database holds only sealed.
    assert_only_ciphertext(site, markers.all)
    site.stop()  # a clean stop checkpoints the WAL into the main file
    assert_only_ciphertext(site, markers.all)


@dataclass
class Ending:
    """What the session left behind, for the checks against the log."""

    technicians: list[str] = field(default_factory=list)
    """Technician names as the applet showed them, in pickup order."""
    chat: list[str] = field(default_factory=list)
    """Every chat line, in order."""
    note: str = ""
    """The transfer note."""
    process_code: int | None = None
    """The applet's exit code."""


def help_the_customer(
    site: LiveSite,
    chromium: Any,
    tech1: Any,
    applet: Applet,
    markers: Markers,
    errors: list[str],
) -> Ending:
    ending = Ending()

    # Live queue, pickup, the same comparison code at both ends.
    first_code, seen = pick_up(tech1, applet, after=-1, ending=ending)
    screenshot(tech1, "02-picked-up")
    seen = chat_both_ways(
        tech1,
        applet,
        seen,
        markers.line("Hello Pat, this is technician one."),
        markers.line("The labels come out blank."),
        ending,
    )
    screenshot(tech1, "03-chat")

    # Transfer with a note; the applet starts over and waits for technician 2.
    ending.note = "Needs the label driver reinstalled"
    seen = transfer(tech1, applet, seen, ending.note)
    screenshot(tech1, "04-transferred")
    tech2 = console(chromium, site, TECH2, errors)
    expect(tech2.locator(".queue-note")).to_have_text(f"Transfer note: {ending.note}")
    second_code, seen = pick_up(tech2, applet, after=seen, ending=ending)
    assert second_code != first_code  # a new key (alike once in a million)

    # Technician 2 sees what happened before: the note and the earlier chat.
    history = tech2.get_by_role("tabpanel").locator(".history-log")
    for earlier in [ending.note, *ending.chat]:
        expect(history).to_contain_text(earlier)
    screenshot(tech2, "05-history")
    seen = chat_both_ways(
        tech2,
        applet,
        seen,
        markers.line("Technician two here, I have your history."),
        markers.line("Thanks, it prints again."),
        ending,
    )

    # The customer ends the session from the applet.
    customer_ends(tech2, applet, seen)
    ending.process_code = applet.wait()
    screenshot(tech2, "06-customer-ended")
    for page in (tech1, tech2):
        wait_log_sent(page)
    return ending


# The Technician Console.


def console(chromium: Any, site: LiveSite, email: str, errors: list[str]) -> Any:
    """A new browser context with ``email``'s console open and live."""
    context = chromium.new_context(
        ignore_https_errors=True, viewport={"width": 1366, "height": 768}
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(f"{email}: {error}"))
    log_in(page, site.url, email, site.passwords[email], new_password())
    page.goto(f"{site.url}/console/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    return page


def new_password() -> str:
    return "Lb-" + secrets.token_urlsafe(16)


def new_pin(page: Any) -> str:
    page.get_by_role("button", name="New PIN").click()
    digits = page.locator("#pin-digits")
    expect(digits).to_have_text(re.compile(r"^\d{3} \d{3}$"))
    expect(page.locator("#queue-private")).to_contain_text("PIN given")
    pin: str = digits.get_attribute("data-pin")
    return pin


def pick_up(
    page: Any, applet: Applet, *, after: int, ending: Ending
) -> tuple[str, int]:
    """Pick up the customer once the applet waits; (comparison code, line)."""
    waiting = applet.line(WAITING, after=after)
    queued = page.locator(".queue-item").filter(has_text=CUSTOMER)
    expect(queued.locator(".queue-host")).to_have_text(re.compile(r"^Computer: .+"))
    page.get_by_role("button", name=f"Pick up: {CUSTOMER}").click()

    code = applet.line(CODE, after=waiting.index)
    panel = page.get_by_role("tabpanel")
    expect(panel.locator(".code-digits")).to_have_text(code.match[1])
    expect(panel.locator(".session-phase")).to_have_text("Connected")
    name = applet.line(r"^Technician: (.+)$", after=code.index)
    ending.technicians.append(name.match[1])
    return code.match[1], name.index


def chat_both_ways(
    page: Any,
    applet: Applet,
    after: int,
    to_customer: str,
    from_customer: str,
    ending: Ending,
) -> int:
    """A line each way, each shown at the other end and marked delivered."""
    panel = page.get_by_role("tabpanel")
    chat = panel.get_by_role("log", name="Chat")
    box = panel.get_by_label("Message to the customer")
    box.fill(to_customer)
    box.press("Enter")
    shown = applet.line(f"^Technician says: {re.escape(to_customer)}$", after=after)
    sent = chat.locator(".from-technician").filter(has_text=to_customer)
    expect(sent.locator(".chat-status")).to_have_text("Delivered")

    applet.type(from_customer)
    typed = applet.line(
        rf"^You \((\d+)\): {re.escape(from_customer)}$", after=shown.index
    )
    received = chat.locator(".from-customer .chat-text")
    expect(received.filter(has_text=from_customer)).to_have_text(from_customer)
    delivered = applet.line(rf"^Delivered \({typed.match[1]}\)$", after=typed.index)

    ending.chat += [to_customer, from_customer]
    return delivered.index


def transfer(page: Any, applet: Applet, after: int, note: str) -> int:
    panel = page.get_by_role("tabpanel")
    panel.get_by_role("button", name="Transfer…").click()
    dialog = page.locator("#transfer-dialog")
    dialog.get_by_label("Technician's email").fill(TECH2)
    dialog.get_by_label("Note for the next technician").fill(note)
    dialog.get_by_role("button", name="Transfer").click()

    moving: Printed = applet.line(r"^Status: Being transferred$", after=after)
    told = applet.line(
        f"^You are being transferred to {re.escape(TECH2)}\\. Note: {re.escape(note)}$",
        after=moving.index,
    )
    expect(panel.locator(".session-ending")).to_contain_text(f"Transferred to {TECH2}")
    return told.index


def customer_ends(page: Any, applet: Applet, after: int) -> None:
    applet.type("/end")
    applet.line(r"^Session ended: You ended the session\.$", after=after)
    panel = page.get_by_role("tabpanel")
    expect(panel.locator(".session-ending")).to_have_text(
        "The customer ended the session."
    )
    expect(panel.locator(".session-phase")).to_have_text("Ended")
    expect(panel.get_by_label("Message to the customer")).to_be_disabled()


def wait_log_sent(page: Any) -> None:
    """Until the console's log outbox has reached the site."""
    page.wait_for_function(
        "() => !Object.keys(localStorage).some(k => k.startsWith('lifebuoy.outbox.'))",
        timeout=WAIT_MS,
    )


# The Administration Center and the database.


def admin_session_log(
    chromium: Any, site: LiveSite, errors: list[str], markers: Markers
) -> list[dict[str, str]]:
    """The session's log rows as the master administrator sees them."""
    context = chromium.new_context(ignore_https_errors=True)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(f"{MASTER}: {error}"))
    log_in(page, site.url, MASTER, site.passwords[MASTER], new_password())

    page.goto(f"{site.url}/admin-center/sessions/")
    row = page.get_by_role("row").filter(has_text=CUSTOMER)
    expect(row).to_have_count(1)
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name=f"Session with {CUSTOMER}")).to_be_visible()

    log = page.locator("ol.log")
    for marker in markers.all:
        expect(log).to_contain_text(marker)
    expect(log.locator("li").last).to_contain_text("customer ended")
    page.screenshot(path=str(artifact("07-admin-log")), full_page=True)
    rows: list[dict[str, str]] = page.eval_on_selector_all(
        "ol.log > li",
        """items => items.map(li => ({
            kind: li.querySelector('.log-kind').textContent.trim(),
            actor: li.querySelector('.log-actor').firstChild.textContent.trim(),
            text: li.querySelector('.log-text').textContent.trim(),
        }))""",
    )
    return rows


def assert_only_ciphertext(site: LiveSite, markers: list[str]) -> None:
    """No marker in the raw bytes of the SQLite file and its WAL (if any)."""
    files = sorted(site.data_dir.glob("lifebuoy.sqlite3*"))
    assert site.data_dir / "lifebuoy.sqlite3" in files
    stored = b"".join(path.read_bytes() for path in files)

    # The right bytes: an account's login ID is stored in the clear.
    assert TECH2.encode() in stored
    for marker in markers:
        assert marker.encode() not in stored, f"{marker} is stored in the clear"


def screenshot(page: Any, name: str) -> None:
    page.screenshot(path=str(artifact(name)))


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"acceptance-{name}.png"
