"""A real ``lifebuoy serve`` for the applet's integration tests, shared by the
module's tests, and helpers to act as the customer and the technician."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from lifebuoy.testing.livesite import LiveSite, start_site


@pytest.fixture(scope="session")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    with start_site(tmp_path_factory.mktemp("applet-site")) as site:
        yield site
