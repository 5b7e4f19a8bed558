"""Where the applet keeps things on the customer's machine, and what it says
about the machine: per-user state folder, download folders, host name.
"""

from __future__ import annotations

import getpass
import os
import platform
import socket
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["STATE_DIR_VARIABLE", "Machine", "download_folders", "state_dir"]

STATE_DIR_VARIABLE = "LIFEBUOY_APPLET_STATE_DIR"
_MACHINE_CHARS = 255


def state_dir() -> Path:
    """The per-user folder for the audit log.

    ``$LIFEBUOY_APPLET_STATE_DIR`` if set; else ``$XDG_STATE_HOME/lifebuoy``
    (``~/.local/state/lifebuoy``) on Linux and other Unix systems,
    ``~/Library/Application Support/Lifebuoy`` on macOS, and
    ``%LOCALAPPDATA%\\Lifebuoy`` on Windows.
    """
    override = os.environ.get(STATE_DIR_VARIABLE)
    if override:
        return Path(override)
    home = Path.home()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", home / "AppData" / "Local")) / (
            "Lifebuoy"
        )
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "Lifebuoy"
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "state"
    return base / "lifebuoy"


def download_folders() -> list[Path]:
    """Folders a downloaded session file lands in: the user's Downloads folder
    (``$XDG_DOWNLOAD_DIR`` when set) and the system's temporary folder."""
    folders = [Path.home() / "Downloads", Path(tempfile.gettempdir())]
    xdg = os.environ.get("XDG_DOWNLOAD_DIR")
    if xdg and Path(xdg).is_absolute():
        folders.insert(0, Path(xdg))
    return folders


@dataclass(frozen=True)
class Machine:
    """What the applet tells the site and the technician about this computer."""

    hostname: str
    """The computer's name."""
    os: str
    """Operating system and release."""
    user: str
    """The account the applet runs as."""

    @classmethod
    def here(cls) -> Machine:
        try:
            user = getpass.getuser()
        except (OSError, KeyError):  # no name for this uid
            user = ""
        name = f"{platform.system()} {platform.release()}".strip()
        return cls(
            socket.gethostname()[:_MACHINE_CHARS],
            name[:_MACHINE_CHARS],
            user[:_MACHINE_CHARS],
        )
