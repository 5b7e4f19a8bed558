from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The suite runs with --import-mode=importlib: make the helpers importable.
sys.path.insert(0, str(Path(__file__).parent))

from channel_helpers import Site, make_tls_files


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_tls_files(tmp_path_factory.mktemp("channel-tls"))


@pytest.fixture
def site(tls_files: tuple[Path, Path]) -> Site:
    return Site(*tls_files)
