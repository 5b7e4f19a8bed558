"""Helpers for the console tests: a logged-in console page, screenshots."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from lifebuoy.testing.browser import log_in
from lifebuoy.testing.livesite import LiveSite

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def console_page(
    context: Any, site: LiveSite, email: str, passwords: dict[str, str]
) -> Any:
    """A page of ``context`` on the console, logged in as ``email``."""
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    first = email not in passwords
    password = site.passwords[email] if first else passwords[email]
    new = passwords.setdefault(email, "Lb-" + secrets.token_urlsafe(16))
    log_in(page, site.url, email, password, new)
    page.goto(f"{site.url}/console/")
    page.wait_for_selector("#live-status[data-state=live]")
    return page


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"))
