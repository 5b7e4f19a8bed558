"""From a fresh clone to a technician's landing page, in real Chromium.

The first test runs the README's first command (``./run.sh``) in a new clone
of this repository, exactly as a newcomer would, and logs in with the
one-time password it printed. The second does the same login against a site
on PostgreSQL with the Redis channel layer.
"""

from __future__ import annotations

import secrets
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lifebuoy.testing.browser import browser_context, log_in
from lifebuoy.testing.livesite import LiveSite, launch, start_site

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / "test-artifacts"
TECHNICIAN = "tech1@demo.lifebuoy.test"
POSTGRES = "postgresql://postgres:lifebuoy-test@127.0.0.1:5432"


def _log_in_and_check_landing(site: LiveSite, screenshot: str) -> None:
    new_password = "Lb-" + secrets.token_urlsafe(16)
    with browser_context() as context:
        page = context.new_page()
        log_in(page, site.url, TECHNICIAN, site.passwords[TECHNICIAN], new_password)
        assert page.url == f"{site.url}/console/"
        assert page.get_by_role("heading", name="Technician Console").is_visible()
        assert page.get_by_text("Welcome, Taylor Tech").is_visible()
        assert page.get_by_text("No customers are waiting.").is_visible()
        assert page.evaluate("window.isSecureContext") is True
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)


def test_fresh_clone_runs_and_the_demo_technician_logs_in(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)

    site = launch(["./run.sh"], data_dir=clone / "var", cwd=clone, timeout=900)
    try:
        assert site.url.startswith("https://127.0.0.1:")
        assert len(site.passwords) == 4, site.output
        _log_in_and_check_landing(site, "login-fresh-clone-technician.png")
    finally:
        site.stop()

    # Running it again reuses everything and prints no password.
    again = launch(["./run.sh"], data_dir=clone / "var", cwd=clone, timeout=300)
    try:
        assert again.passwords == {}
        assert any("exists" in line for line in again.output)
    finally:
        again.stop()


@pytest.fixture
def postgres_database() -> Iterator[str]:
    import psycopg

    name = f"lifebuoy_it_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_migrations_and_login_work_on_postgresql(
    tmp_path: Path, postgres_database: str
) -> None:
    env = {"DATABASE_URL": postgres_database, "REDIS_URL": "redis://127.0.0.1:6379/0"}
    with start_site(tmp_path / "var", env=env) as site:
        assert len(site.passwords) == 4, site.output
        _log_in_and_check_landing(site, "login-postgresql-technician.png")

    import psycopg

    with psycopg.connect(postgres_database) as connection:
        tables = {
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        }
    assert {"accounts_user", "audit_auditevent", "vault_datakey"} <= tables
