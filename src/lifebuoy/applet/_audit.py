"""The customer's own record of what happened: a local audit log.

One JSON object per line, appended to ``audit.jsonl`` in the per-user state
folder (``_places.state_dir``): when a session started and with which site,
who connected, every request and the customer's answer, transfers and the
end. It never holds chat text, keys, credentials or tickets. Only the user can
read it (mode 0600 in a 0700 folder on Unix).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["AUDIT_FILE", "AuditLog"]

logger = logging.getLogger(__name__)

AUDIT_FILE = "audit.jsonl"


class AuditLog:
    """Appends audit records for one session; a failure to write is logged,
    never fatal: helping the customer matters more than the record."""

    def __init__(self, folder: Path, session_id: str, site: str) -> None:
        self.path = folder / AUDIT_FILE
        """The file written to."""
        self._session_id = session_id
        self._site = site
        self._warned = False

    def record(self, event: str, **fields: Any) -> None:
        """Append ``event`` with ``fields`` (plain JSON values, no secrets)."""
        line = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "event": event,
            "session_id": self._session_id,
            **fields,
        }
        if event == "session.start":
            line["site"] = self._site
        try:
            self._append(json.dumps(line, ensure_ascii=False) + "\n")
        except OSError as exc:
            if not self._warned:
                logger.warning("cannot write the audit log %s: %s", self.path, exc)
                self._warned = True

    def _append(self, text: str) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as file:
            file.write(text)
