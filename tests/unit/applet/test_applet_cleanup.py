"""What the applet removes at the end, and what it leaves."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifebuoy.applet._cleanup import Cleanup, looks_downloaded
from lifebuoy.applet._places import STATE_DIR_VARIABLE, state_dir


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("lifebuoy-123456.lifebuoy", True),
        ("lifebuoy-123456 (1).lifebuoy", True),
        ("lifebuoy-channel.lifebuoy", True),
        ("session.lifebuoy", False),
        ("lifebuoy-123456.lifebuoy.txt", False),
    ],
)
def test_cleanup_recognises_a_downloaded_session_file(
    tmp_path: Path, name: str, expected: bool
) -> None:
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    path = downloads / name
    path.write_text("{}")
    assert looks_downloaded(path, [downloads]) is expected


def test_cleanup_leaves_a_file_outside_download_folders(tmp_path: Path) -> None:
    elsewhere = tmp_path / "Documents"
    elsewhere.mkdir()
    path = elsewhere / "lifebuoy-123456.lifebuoy"
    path.write_text("{}")
    assert not looks_downloaded(path, [tmp_path / "Downloads"])


def test_cleanup_removes_the_file_only_once_the_site_answered(tmp_path: Path) -> None:
    file = tmp_path / "lifebuoy-123456.lifebuoy"
    temporary = tmp_path / "scratch.tmp"
    audit = tmp_path / "audit.jsonl"
    for path in (file, temporary, audit):
        path.write_text("x")

    cleanup = Cleanup(file, remove_file=True)
    cleanup.temporary.append(temporary)
    assert cleanup.run(file_used=False) == [temporary]
    assert file.exists()

    assert cleanup.run(file_used=True) == [file]
    assert not file.exists()
    assert audit.exists()


def test_cleanup_keeps_the_file_when_not_asked(tmp_path: Path) -> None:
    file = tmp_path / "mine.lifebuoy"
    file.write_text("x")
    assert Cleanup(file, remove_file=False).run(file_used=True) == []
    assert file.exists()


def test_state_dir_follows_the_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(STATE_DIR_VARIABLE, str(tmp_path / "state"))
    assert state_dir() == tmp_path / "state"
    monkeypatch.delenv(STATE_DIR_VARIABLE)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert state_dir() == tmp_path / "xdg" / "lifebuoy"
