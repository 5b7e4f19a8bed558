"""Real Chromium through Playwright, as the tests and benchmarks drive it."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from typing import Any

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "browser_context", "log_in"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@contextlib.contextmanager
def browser_context(**options: Any) -> Iterator[Any]:
    """A fresh Chromium profile; the site's local CA is not installed, so
    certificate errors are ignored for it (the page is still https)."""
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory(prefix="lifebuoy-chromium-") as profile,
        sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            ignore_https_errors=True,
            viewport={"width": 1366, "height": 768},
            **options,
        )
        try:
            yield context
        finally:
            context.close()


def log_in(page: Any, url: str, email: str, password: str, new_password: str) -> None:
    """Log in; when the password is one-time, replace it with ``new_password``."""
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    if "/accounts/password/" in page.url:
        page.get_by_label("Current password").fill(password)
        page.get_by_label("New password", exact=True).fill(new_password)
        page.get_by_label("Repeat the new password").fill(new_password)
        page.get_by_role("button", name="Change password").click()
        page.wait_for_load_state()


_READ_CANVAS = """([selector, x, y, w, h]) => {
    const canvas = document.querySelector(selector);
    if (!canvas || canvas.width < x + w || canvas.height < y + h) return null;
    const data = canvas.getContext('2d').getImageData(x, y, w, h).data;
    let text = '';
    for (let i = 0; i < data.length; i += 8192) {
        text += String.fromCharCode(...data.subarray(i, i + 8192));
    }
    return btoa(text);
}"""


def canvas_rgba(
    page: Any, selector: str, x: int, y: int, w: int, h: int
) -> bytes | None:
    """RGBA bytes (row by row) of a region of the canvas ``selector`` on
    ``page``; None while the canvas is missing or smaller than the region."""
    import base64

    encoded = page.evaluate(_READ_CANVAS, [selector, x, y, w, h])
    return None if encoded is None else base64.b64decode(encoded)
