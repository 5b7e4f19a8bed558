"""Encryption at rest: only ciphertext on disk, bound to its organization and
field, and clear refusals when the master key file is wrong or gone."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import FieldError
from django.db import connection

from lifebuoy.site.vault import service
from lifebuoy.site.vault.errors import (
    DecryptionFailed,
    MasterKeyMismatch,
    MasterKeyMissing,
)
from lifebuoy.site.vault.keys import MasterKey

BIN = Path(sys.executable).parent
MARKER = "MARKER-7f3a9c-mfa-secret-do-not-store"
PURPOSE = "accounts_user.mfa_secret"

# Runs in a child process against the file database; it waits for a line on
# stdin before exiting, so that its connection (and the -wal file) stays open.
WRITE = """
import sys, django
django.setup()
from lifebuoy.site.accounts.models import Organization, User
organization = Organization.objects.create(name=sys.argv[2])
user = User.objects.create_user(
    sys.argv[1], None, organization=organization, name="V", role="technician"
)
user.mfa_secret = sys.argv[3]
user.save()
print("written", flush=True)
sys.stdin.readline()
"""
READ = """
import sys, django
django.setup()
from lifebuoy.site.accounts.models import User
print(User.objects.get(email=sys.argv[1]).mfa_secret)
"""


# In the test database.


def _sealed_column(user: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT mfa_secret FROM accounts_user WHERE id = %s", [user.pk])
        return str(cursor.fetchone()[0])


@pytest.fixture
def two_organizations(db: Any) -> tuple[Any, Any]:
    from lifebuoy.site.accounts.models import Organization, User

    users = []
    for name in ("Acme Support", "Other Support"):
        organization = Organization.objects.create(name=name)
        users.append(
            User.objects.create_user(
                f"someone@{name.split()[0].lower()}.test",
                None,
                organization=organization,
                role="technician",
            )
        )
    return users[0], users[1]


def test_encrypted_field_stores_only_ciphertext_in_the_row(
    two_organizations: tuple[Any, Any],
) -> None:
    from lifebuoy.site.accounts.models import User

    user, _ = two_organizations
    user.mfa_secret = MARKER
    user.save()
    stored = _sealed_column(user)
    assert stored.startswith(service.PREFIX)
    assert MARKER not in stored
    assert User.objects.get(pk=user.pk).mfa_secret == MARKER


def test_ciphertext_moved_to_another_organizations_row_refuses_to_open(
    two_organizations: tuple[Any, Any],
) -> None:
    from lifebuoy.site.accounts.models import User

    user, other = two_organizations
    user.mfa_secret = MARKER
    user.save()
    User.objects.filter(pk=other.pk).update(mfa_secret=_sealed_column(user))

    moved = User.objects.get(pk=other.pk)
    with pytest.raises(DecryptionFailed, match="does not open"):
        _ = moved.mfa_secret


def test_ciphertext_moved_to_another_column_refuses_to_open(
    two_organizations: tuple[Any, Any],
) -> None:
    user, _ = two_organizations
    user.mfa_secret = MARKER
    user.save()
    token = _sealed_column(user)
    assert service.open_value(user.organization_id, PURPOSE, token) == MARKER
    with pytest.raises(DecryptionFailed):
        service.open_value(user.organization_id, "accounts_user.name", token)


@pytest.mark.parametrize(
    "damage",
    [
        lambda t: t[:-4] + ("AAAA" if not t.endswith("AAAA") else "BBBB"),
        lambda t: t.replace("$", "$0", 1),
        lambda t: t[:-8],
        lambda t: service.PREFIX + "nokey",
    ],
)
def test_damaged_ciphertext_refuses_to_open(
    two_organizations: tuple[Any, Any], damage: Any
) -> None:
    user, _ = two_organizations
    token = service.seal(user.organization_id, PURPOSE, MARKER)
    with pytest.raises(DecryptionFailed):
        service.open_value(user.organization_id, PURPOSE, damage(token))


@pytest.mark.parametrize(
    "lookup",
    ["mfa_secret", "mfa_secret__iexact", "mfa_secret__icontains", "mfa_secret__in"],
)
def test_encrypted_field_refuses_lookups_other_than_isnull(
    db: Any, lookup: str
) -> None:
    from lifebuoy.site.accounts.models import User

    value: Any = [MARKER] if lookup.endswith("__in") else MARKER
    with pytest.raises(FieldError, match="Unsupported lookup"):
        list(User.objects.filter(**{lookup: value}))
    assert list(User.objects.filter(mfa_secret__isnull=True)) == []


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the vault at a key file this test controls; restore afterwards."""
    path = tmp_path / "master.key"
    security = dataclasses.replace(
        settings.LIFEBUOY.security, master_key_file=str(path)
    )
    monkeypatch.setattr(
        settings, "LIFEBUOY", dataclasses.replace(settings.LIFEBUOY, security=security)
    )
    service.forget_keys()
    yield path
    service.forget_keys()


def test_wrong_master_key_file_refuses_with_master_key_mismatch(
    db: Any, key_file: Path
) -> None:
    from lifebuoy.site.vault.models import DataKey

    MasterKey.generate().write(key_file)
    data_key = service.create_data_key(None)
    assert service.check_master_key() >= 1

    # Another key under another name.
    MasterKey.generate().write(key_file)
    service.forget_keys()
    with pytest.raises(MasterKeyMismatch, match="the master key file holds"):
        service.check_master_key()

    # Another key under the same name.
    stored = DataKey.objects.get(key_id=data_key).master_key_id
    MasterKey(key_id=stored, secret=os.urandom(32)).write(key_file)
    service.forget_keys()
    with pytest.raises(MasterKeyMismatch, match="does not belong to this database"):
        service.check_master_key()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not a key file\n", "is not a Lifebuoy master key file"),
        ("lifebuoy-master-key v1 abc !!!!\n", "not valid base64"),
        ("lifebuoy-master-key v1 abc AAAA\n", "must be 32 bytes"),
    ],
)
def test_malformed_master_key_file_refuses_with_a_clear_message(
    db: Any, key_file: Path, content: str, message: str
) -> None:
    key_file.write_text(content)
    with pytest.raises(MasterKeyMismatch, match=message):
        service.check_master_key()


def test_missing_master_key_file_refuses_with_master_key_missing(
    db: Any, key_file: Path
) -> None:
    MasterKey.generate().write(key_file)
    service.create_data_key(None)
    key_file.unlink()
    service.forget_keys()
    with pytest.raises(MasterKeyMissing, match="restore it from your backup"):
        service.check_master_key()


# Against a file database made by ``lifebuoy init --no-demo``.


def _environment(data_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LIFEBUOY_") and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env["LIFEBUOY_SITE_DATA_DIR"] = str(data_dir)
    # Should a refusal fail to happen, ``serve`` binds nothing in use.
    env["LIFEBUOY_SITE_PORT"] = env["LIFEBUOY_GATEWAY_PORT"] = "0"
    env["DJANGO_SETTINGS_MODULE"] = "lifebuoy.site.settings"
    return env


def _run(data_dir: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env=_environment(data_dir),
        cwd=data_dir.parent,
        timeout=120,
        check=False,
    )


def _lifebuoy(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run(data_dir, str(BIN / "lifebuoy"), *args)


def _read(data_dir: Path, email: str) -> subprocess.CompletedProcess[str]:
    return _run(data_dir, str(BIN / "python"), "-c", READ, email)


@pytest.fixture(scope="module")
def initialized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder made by ``lifebuoy init --no-demo``, with one sealed value."""
    data_dir = tmp_path_factory.mktemp("vault") / "var"
    result = _lifebuoy(data_dir, "init", "--no-demo")
    assert result.returncode == 0, result.stderr
    write = subprocess.run(
        [str(BIN / "python"), "-c", WRITE, "kept@vault.test", "Kept", MARKER],
        input="\n",
        capture_output=True,
        text=True,
        env=_environment(data_dir),
        timeout=60,
        check=False,
    )
    assert write.returncode == 0, write.stderr
    return data_dir


@pytest.fixture
def data_dir(initialized: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(initialized, tmp_path / "var"))


def test_file_database_and_its_wal_hold_only_ciphertext(data_dir: Path) -> None:
    database = data_dir / "lifebuoy.sqlite3"
    wal = data_dir / "lifebuoy.sqlite3-wal"
    marker = MARKER.replace("MARKER", "LIVE")
    writer = subprocess.Popen(
        [str(BIN / "python"), "-c", WRITE, "live@vault.test", "Live", marker],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(data_dir),
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "written"
        # While the writer is connected, the new row lives in the WAL.
        live_wal = wal.read_bytes()
        assert service.PREFIX.encode() in live_wal
        assert marker.encode() not in live_wal
        assert marker.encode() not in database.read_bytes()
    finally:
        _, stderr = writer.communicate("\n", timeout=60)
    assert writer.returncode == 0, stderr
    assert marker not in stderr

    for path in (database, wal):
        if path.exists():
            assert marker.encode() not in path.read_bytes(), path.name
    read = _read(data_dir, "live@vault.test")
    assert read.returncode == 0, read.stderr
    assert read.stdout.strip() == marker


def _assert_clear_refusal(result: subprocess.CompletedProcess[str], text: str) -> None:
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith("lifebuoy: "), result.stderr
    assert text in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["init", "serve"])
def test_start_with_a_wrong_master_key_refuses_with_a_clear_message(
    data_dir: Path, command: str
) -> None:
    key_file = data_dir / "secrets" / "master.key"
    MasterKey.generate().write(key_file)
    result = _lifebuoy(data_dir, command, "--no-demo")
    _assert_clear_refusal(result, "but the master key file holds")
    assert "Lifebuoy is ready" not in result.stdout


def test_start_with_a_missing_master_key_refuses_and_makes_no_new_one(
    data_dir: Path,
) -> None:
    key_file = data_dir / "secrets" / "master.key"
    key_file.unlink()
    result = _lifebuoy(data_dir, "init", "--no-demo")
    _assert_clear_refusal(result, "is missing: restore it from your backup")
    # A new key would open nothing and hide what went wrong.
    assert not key_file.exists()


def test_rotate_keys_rewraps_and_data_still_opens(data_dir: Path) -> None:
    key_file = data_dir / "secrets" / "master.key"
    old = MasterKey.read(key_file)

    result = _lifebuoy(data_dir, "rotate-keys")
    assert result.returncode == 0, result.stderr
    new = MasterKey.read(key_file)
    assert new.key_id != old.key_id
    assert f"master key {new.key_id} (was {old.key_id})" in result.stdout
    retired = key_file.with_name(f"master.key.{old.key_id}.retired")
    assert MasterKey.read(retired).secret == old.secret

    read = _read(data_dir, "kept@vault.test")
    assert read.returncode == 0, read.stderr
    assert read.stdout.strip() == MARKER

    # The old key no longer opens anything: every data key was rewrapped.
    shutil.copy(retired, key_file)
    stale = _read(data_dir, "kept@vault.test")
    assert stale.returncode != 0
    assert "MasterKeyMismatch" in stale.stderr
