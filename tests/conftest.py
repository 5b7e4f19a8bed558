"""Test set-up shared by every test.

Site tests run against Django's test database; the vault's master key is a
fresh file in a temporary folder for the whole run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _master_key_for_tests(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from django.conf import settings

    from lifebuoy.site.vault import service

    folder = tmp_path_factory.mktemp("secrets")
    path = folder / "master.key"
    original = settings.LIFEBUOY
    settings.LIFEBUOY = dataclasses.replace(
        original,
        security=dataclasses.replace(original.security, master_key_file=str(path)),
    )
    service.forget_keys()
    service.ensure_master_key()
    yield path
    settings.LIFEBUOY = original
    service.forget_keys()
