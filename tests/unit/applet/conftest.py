"""Helpers importable (pytest runs in importlib mode); the channel tests' test
site, gateway and TLS files are reused."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_HERE = Path(__file__).parent
sys.path.insert(0, str(_HERE))
sys.path.insert(0, str(_HERE.parents[1] / "integration" / "channel"))

from channel_helpers import Site, make_tls_files  # noqa: E402


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_tls_files(tmp_path_factory.mktemp("applet-tls"))


@pytest.fixture
def site(tls_files: tuple[Path, Path]) -> Site:
    return Site(*tls_files)
