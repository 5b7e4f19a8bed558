"""The ``lifebuoy`` command describes itself and each of its subcommands."""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lifebuoy.cli import build_parser

LIFEBUOY = Path(sys.executable).parent / "lifebuoy"


@dataclasses.dataclass(frozen=True)
class Result:
    returncode: int
    """Exit status of the command."""
    stdout: str
    """What it printed."""
    stderr: str
    """What it complained about."""


def _subcommands() -> dict[str, str]:
    """Each subcommand's name and the help line the parser gives it."""
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {
                choice.dest: choice.help or "" for choice in action._choices_actions
            }
    raise AssertionError("the parser has no subcommands")


def _start(folder: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "LIFEBUOY_SITE_DATA_DIR": str(folder / "var")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.Popen(
        [str(LIFEBUOY), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=folder,
    )


def _finish(process: subprocess.Popen[str]) -> Result:
    stdout, stderr = process.communicate(timeout=60)
    return Result(process.returncode, stdout, stderr)


def _run(folder: Path, *args: str) -> Result:
    return _finish(_start(folder, *args))


@pytest.fixture(scope="module")
def helps(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Result]]:
    """Every help page, asked for at once (each start costs most of a second)."""
    folder = tmp_path_factory.mktemp("cli")
    started = {name: _start(folder, name, "--help") for name in _subcommands()}
    started[""] = _start(folder, "--help")
    return folder, {name: _finish(process) for name, process in started.items()}


def test_the_site_commands_are_all_there() -> None:
    expected = {
        "serve",
        "init",
        "migrate",
        "createorg",
        "reset-password",
        "check-audit",
        "rotate-keys",
    }
    assert expected <= set(_subcommands())


def test_lifebuoy_help_lists_every_subcommand(
    helps: tuple[Path, dict[str, Result]],
) -> None:
    result = helps[1][""]
    assert result.returncode == 0, result.stderr
    assert "self-hosted remote support" in result.stdout
    for name, summary in _subcommands().items():
        assert name in result.stdout
        assert summary.split()[0] in result.stdout


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_each_subcommand_help_describes_it(
    helps: tuple[Path, dict[str, Result]], name: str
) -> None:
    folder, results = helps
    result = results[name]
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: lifebuoy {name}")
    assert "options:" in result.stdout
    # It says what it does, not only how to call it: a paragraph between the
    # usage and the options.
    paragraphs = result.stdout.split("\n\n")
    assert len(paragraphs) >= 3
    description = paragraphs[1].strip()
    assert not description.startswith(("options:", "positional arguments:")), (
        result.stdout
    )
    assert len(description.split()) >= 3
    # Asking for help has no side effects: the data folder is not created.
    assert not (folder / "var").exists()


def test_help_refuses_an_unknown_subcommand(tmp_path: Path) -> None:
    result = _run(tmp_path, "set-up")
    assert result.returncode == 2
    assert "invalid choice: 'set-up'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_configuration_exits_2_with_a_message_not_a_traceback(
    tmp_path: Path,
) -> None:
    (tmp_path / "lifebuoy.toml").write_text("[site]\nport = 'x'\n")
    result = _run(tmp_path, "migrate")
    assert result.returncode == 2
    assert "lifebuoy: configuration error: [site] port: expected int" in result.stderr
    assert "Traceback" not in result.stderr
