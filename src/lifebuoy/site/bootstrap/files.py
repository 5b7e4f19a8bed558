"""Secret files the site needs before Django starts."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def ensure_secret_file(path: Path) -> bool:
    """Create a random secret in ``path`` (mode 0600) unless it exists."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(64) + "\n")
    return True
