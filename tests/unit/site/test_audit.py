"""The audit chain: append-only in the database, and every tampering found by
``verify_chain`` and ``lifebuoy check-audit``."""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from lifebuoy.site.audit.chain import GENESIS, record, verify_chain
from lifebuoy.site.audit.models import AuditEvent, AuditHead

LIFEBUOY = Path(sys.executable).parent / "lifebuoy"
DROP_TRIGGERS = (
    "DROP TRIGGER audit_event_no_update",
    "DROP TRIGGER audit_event_no_delete",
)


# verify_chain, in the test database.


def _five() -> list[AuditEvent]:
    for n in range(5):
        record("test.event", actor=f"actor{n}", ip="192.0.2.1", detail={"n": n})
    return list(AuditEvent.objects.order_by("seq"))


@pytest.mark.django_db
def test_record_chains_each_event_to_the_one_before() -> None:
    events = _five()
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    head = AuditHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (5, events[-1].hash)
    assert verify_chain() is None


@pytest.mark.django_db
def test_database_refuses_to_update_or_delete_an_event() -> None:
    _five()
    for statement in (
        "UPDATE audit_auditevent SET actor = 'someone else' WHERE seq = 2",
        "DELETE FROM audit_auditevent WHERE seq = 2",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert AuditEvent.objects.get(seq=2).actor == "actor1"
    assert AuditEvent.objects.count() == 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("actor", "someone else"),
        ("action", "test.other"),
        ("ip", "192.0.2.99"),
        ("outcome", "failure"),
        ("detail", {"n": 99}),
        ("organization_id", 7),
    ],
)
def test_verify_chain_refuses_an_edited_field(field: str, value: Any) -> None:
    events = _five()
    setattr(events[2], field, value)
    broken = verify_chain(events)
    assert broken is not None
    assert broken.seq == 3
    assert "changed after it was written" in broken.reason


@pytest.mark.django_db
def test_verify_chain_refuses_an_edit_that_recomputes_the_hash() -> None:
    # Rewriting an event with a fresh hash breaks the link to the next one.
    from lifebuoy.site.audit.chain import _recompute

    events = _five()
    events[1].actor = "someone else"
    events[1].hash = _recompute(events[1])
    broken = verify_chain(events)
    assert broken is not None
    assert broken.seq == 3
    assert "does not follow its predecessor" in broken.reason


@pytest.mark.django_db
def test_verify_chain_names_a_deleted_middle_event() -> None:
    events = _five()
    del events[2]
    broken = verify_chain(events)
    assert broken is not None
    assert broken.seq == 3
    assert broken.reason == "event #3 is missing (deleted)"


@pytest.mark.django_db
def test_verify_chain_names_events_cut_off_the_end() -> None:
    events = _five()
    broken = verify_chain(events[:3])
    assert broken is not None
    assert broken.seq == 4
    assert broken.reason == "events #4 to #5 are missing (deleted)"


@pytest.mark.django_db
def test_verify_chain_refuses_a_missing_head() -> None:
    events = _five()
    AuditHead.objects.all().delete()
    broken = verify_chain(events)
    assert broken is not None
    assert broken.reason == "the chain head is missing"


@pytest.mark.django_db
def test_verify_chain_finds_an_edit_once_the_triggers_are_dropped() -> None:
    _five()
    # SQLite DDL is transactional: the triggers come back when the test's
    # transaction is rolled back.
    with connection.cursor() as cursor:
        for statement in DROP_TRIGGERS:
            cursor.execute(statement)
        cursor.execute("UPDATE audit_auditevent SET ip = '198.51.100.1' WHERE seq = 4")
    broken = verify_chain()
    assert broken is not None
    assert broken.seq == 4


# lifebuoy check-audit, against a file database made by ``lifebuoy init``.


def _environment(data_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LIFEBUOY_")
        and key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["LIFEBUOY_SITE_DATA_DIR"] = str(data_dir)
    return env


def _lifebuoy(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LIFEBUOY), *args],
        capture_output=True,
        text=True,
        env=_environment(data_dir),
        cwd=data_dir.parent,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def initialized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder made by ``lifebuoy init``, with the demo organization."""
    data_dir = tmp_path_factory.mktemp("initialized") / "var"
    result = _lifebuoy(data_dir, "init")
    assert result.returncode == 0, result.stderr
    return data_dir


@pytest.fixture
def data_dir(initialized: Path, tmp_path: Path) -> Path:
    """A copy of the initialized folder for one test to damage."""
    return Path(shutil.copytree(initialized, tmp_path / "var"))


def _database(data_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(data_dir / "lifebuoy.sqlite3", isolation_level=None)


def _event_count(data_dir: Path) -> int:
    with _database(data_dir) as db:
        return int(db.execute("SELECT COUNT(*) FROM audit_auditevent").fetchone()[0])


def _tamper(data_dir: Path, statement: str, *parameters: int) -> None:
    db = _database(data_dir)
    try:
        # Without dropping the triggers first, the database refuses.
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(statement, parameters)
        for drop in DROP_TRIGGERS:
            db.execute(drop)
        db.execute(statement, parameters)
    finally:
        db.close()


def test_check_audit_passes_an_intact_chain(data_dir: Path) -> None:
    events = _event_count(data_dir)
    assert events >= 6
    result = _lifebuoy(data_dir, "check-audit")
    assert result.returncode == 0, result.stderr
    assert f"The audit chain is intact: {events} events" in result.stdout


def test_check_audit_refuses_an_edited_event(data_dir: Path) -> None:
    _tamper(
        data_dir,
        "UPDATE audit_auditevent SET target = 'intruder@evil.example' WHERE seq = 3",
    )
    result = _lifebuoy(data_dir, "check-audit")
    assert result.returncode == 1
    assert "broken at event #3: event #3 was changed after it was written" in (
        result.stdout
    )


def test_check_audit_refuses_a_deleted_middle_event(data_dir: Path) -> None:
    _tamper(data_dir, "DELETE FROM audit_auditevent WHERE seq = 4")
    result = _lifebuoy(data_dir, "check-audit")
    assert result.returncode == 1
    assert "broken at event #4: event #4 is missing (deleted)" in result.stdout


def test_check_audit_refuses_events_cut_off_the_end(data_dir: Path) -> None:
    last = _event_count(data_dir)
    _tamper(data_dir, "DELETE FROM audit_auditevent WHERE seq >= ?", last - 1)
    result = _lifebuoy(data_dir, "check-audit")
    assert result.returncode == 1
    assert f"events #{last - 1} to #{last} are missing (deleted)" in result.stdout
