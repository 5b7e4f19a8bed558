"""Helpers importable (pytest runs in importlib mode): the applet tests' fake
site and the channel tests' test site and gateway."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_TESTS = Path(__file__).parents[2]
sys.path.insert(0, str(_TESTS / "unit" / "applet"))
sys.path.insert(0, str(_TESTS / "integration" / "channel"))

from channel_helpers import Site, make_tls_files  # noqa: E402


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_tls_files(tmp_path_factory.mktemp("client-tls"))


@pytest.fixture
def site(tls_files: tuple[Path, Path]) -> Site:
    return Site(*tls_files)
