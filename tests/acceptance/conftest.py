"""One real site for the acceptance test, and its helpers on the import path."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The suite runs with --import-mode=importlib: make the helpers importable.
sys.path.insert(0, str(Path(__file__).parent))
# The virtual X screen and the known application of the applet's tests.
sys.path.insert(0, str(Path(__file__).parents[1] / "integration" / "applet"))

from lifebuoy.testing.browser import CHROMIUM, CHROMIUM_ARGS
from lifebuoy.testing.livesite import LiveSite, start_site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    with start_site(tmp_path_factory.mktemp("acceptance-site")) as live:
        yield live


@pytest.fixture
def chromium() -> Iterator[Any]:
    """One headless Chromium; each person gets a context of their own."""
    yield from _chromium()


@pytest.fixture(scope="module")
def chromium_module() -> Iterator[Any]:
    """One Chromium for tests that share a session in order."""
    yield from _chromium()


def _chromium() -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)  # a shared 2-core box: be patient
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
            expect.set_options(timeout=None)
