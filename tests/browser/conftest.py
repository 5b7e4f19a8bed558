"""A real site and a logged-in technician in Chromium, for the console tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The suite runs with --import-mode=importlib: make the helpers importable.
sys.path.insert(0, str(Path(__file__).parent))

from lifebuoy.testing.browser import browser_context
from lifebuoy.testing.livesite import LiveSite, start_site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    with start_site(tmp_path_factory.mktemp("console-site")) as live:
        yield live


@pytest.fixture(scope="module")
def new_passwords() -> dict[str, str]:
    """Passwords set at first login, by login ID (each account logs in once)."""
    return {}


@pytest.fixture
def chromium() -> Iterator[Any]:
    with browser_context() as context:
        yield context
