"""Lifecycle reports from the gateway to the site.

A `Reporter` is called on the event loop and must never block it. Two are
provided: `CallbackReporter` for a gateway embedded in the site process, and
`HttpReporter`, which posts batches of JSON events to the site from a worker
thread through a bounded queue that drops the oldest events when the site
cannot keep up.
"""

from __future__ import annotations

import collections
import json
import logging
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from .tickets import Role

__all__ = [
    "CallbackReporter",
    "HttpReporter",
    "NullReporter",
    "Reporter",
    "SessionEvent",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """A change in a session's life, with its byte counts so far."""

    kind: str
    """One of waiting, paired, left, returned, closed."""
    session_id: str
    """The session."""
    role: Role | None
    """The end concerned, if the event is about one end."""
    participant: str | None
    """That end's participant id from its ticket."""
    reason: str | None
    """Why the session closed (``closed`` events only)."""
    bytes_from_customer: int
    """Bytes received from the customer so far."""
    bytes_from_technician: int
    """Bytes received from the technician so far."""

    def to_json(self) -> dict[str, object]:
        """The event as a JSON-ready dict."""
        return asdict(self)


class Reporter(Protocol):
    """Receives lifecycle events; `report` is called on the event loop."""

    def report(self, event: SessionEvent) -> None:
        """Take an event without blocking."""

    def close(self) -> None:
        """Flush what can be flushed quickly and stop."""


class NullReporter:
    """Discards events."""

    def report(self, event: SessionEvent) -> None:
        """Ignore the event."""

    def close(self) -> None:
        """Nothing to stop."""


class CallbackReporter:
    """Calls a function with each event, in-process; it must return quickly."""

    def __init__(self, callback: Callable[[SessionEvent], None]) -> None:
        self._callback = callback

    def report(self, event: SessionEvent) -> None:
        """Hand the event over; a failing callback is logged, never raised."""
        try:
            self._callback(event)
        except Exception:
            logger.exception("report callback failed on %s", event.kind)

    def close(self) -> None:
        """Nothing to stop."""


class HttpReporter:
    """POSTs ``{"events": [...]}`` to the site with a bearer token."""

    def __init__(
        self,
        url: str,
        token_file: Path,
        *,
        queue_size: int = 10_000,
        batch_size: int = 100,
        timeout: float = 5.0,
    ) -> None:
        if urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
            raise ValueError("report URL must be http or https")
        self.url = url
        self.token_file = token_file
        self.dropped = 0
        self._batch_size = batch_size
        self._timeout = timeout
        self._queue: collections.deque[dict[str, object]] = collections.deque(
            maxlen=queue_size
        )
        self._wakeup = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(
            target=self._run, name="gateway-reporter", daemon=True
        )
        self._thread.start()

    def report(self, event: SessionEvent) -> None:
        """Queue the event; when the queue is full the oldest one is dropped."""
        item = {**event.to_json(), "at": time.time()}
        with self._wakeup:
            if len(self._queue) == self._queue.maxlen:
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 1000 == 0:
                    logger.warning(
                        "report queue full: %d events dropped so far", self.dropped
                    )
            self._queue.append(item)
            self._wakeup.notify()

    def close(self) -> None:
        """Stop the worker after one last attempt to send what is queued."""
        with self._wakeup:
            self._stopping = True
            self._wakeup.notify()
        self._thread.join(self._timeout * 2)

    def _run(self) -> None:
        while True:
            with self._wakeup:
                while not self._queue and not self._stopping:
                    self._wakeup.wait()
                batch = self._take_batch()
                stopping = self._stopping
            if batch:
                self._post(batch)
            if stopping and not self._queue:
                return

    def _take_batch(self) -> list[dict[str, object]]:
        count = min(len(self._queue), self._batch_size)
        return [self._queue.popleft() for _ in range(count)]

    def _post(self, batch: list[dict[str, object]]) -> None:
        # Read the token each time so it can be rotated without a restart.
        try:
            token = self.token_file.read_text().strip()
            request = urllib.request.Request(  # noqa: S310 (scheme checked)
                self.url,
                data=json.dumps({"events": batch}).encode(),
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                },
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=self._timeout):  # noqa: S310
                pass
        except Exception as exc:  # the site being down must not stop reporting
            logger.warning("could not report %d events: %s", len(batch), exc)
