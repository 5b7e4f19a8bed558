"""What the applet removes when it is done, and nothing else.

1. The session file it was started with, when

   - ``--remove-file`` was given, or
   - the file looks downloaded: it is named like a session file
     (``lifebuoy-*.lifebuoy``, including a browser's ``lifebuoy-123456 (1).lifebuoy``)
     and lies directly in a download folder (``_places.download_folders``),

   unless ``--keep-file`` was given, and only once the site has answered
   about it: after the session, or when the site refused the file (expired,
   ended). When the site could not be reached, the file stays, so that the
   customer can open it again.
2. Temporary files the applet registered while it ran (``Cleanup.temporary``).

The audit log stays.
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
from pathlib import Path

from ._places import download_folders

__all__ = ["Cleanup", "looks_downloaded"]

logger = logging.getLogger(__name__)

_DOWNLOADED = "lifebuoy-*.lifebuoy"


def looks_downloaded(path: Path, folders: list[Path] | None = None) -> bool:
    """The file is a session file as a browser saves it, in a download folder."""
    if not fnmatch.fnmatchcase(path.name, _DOWNLOADED):
        return False
    parent = path.resolve().parent
    for folder in download_folders() if folders is None else folders:
        with contextlib.suppress(OSError):
            if folder.exists() and parent == folder.resolve():
                return True
    return False


class Cleanup:
    """Collects what to remove at the end, and removes it."""

    def __init__(self, session_file: Path, *, remove_file: bool) -> None:
        self.session_file = session_file
        """The file the applet was started with."""
        self.remove_file = remove_file
        """Whether it goes at the end (``--remove-file`` or ``looks_downloaded``)."""
        self.temporary: list[Path] = []
        """Temporary files the applet made; always removed."""

    def run(self, *, file_used: bool) -> list[Path]:
        """Remove what is due; ``file_used``: the site has answered about the file.
        Returns what was removed."""
        due = list(self.temporary)
        if self.remove_file and file_used:
            due.append(self.session_file)
        removed = []
        for path in due:
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                logger.warning("could not remove %s: %s", path, exc.strerror)
                continue
            removed.append(path)
            logger.info("removed %s", path)
        return removed
