from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The suite runs with --import-mode=importlib: make the helpers importable.
sys.path.insert(0, str(Path(__file__).parent))

from gateway_helpers import Setup, make_certificate


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def setup(tls_files: tuple[Path, Path]) -> Setup:
    return Setup(*tls_files)
