"""Posting the session log to the site: nothing lost, nothing duplicated.

Events get their id (a UUID) when they are added, and keep it. A background
task posts them in order, in batches; when the site cannot be reached (or is
busy, or answers 5xx), the same batch is sent again after a growing pause.
The site stores each id once per session, so a batch that did arrive although
its answer was lost is not stored twice.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from ._errors import SiteRefused, SiteUnreachable

__all__ = ["EventLog", "Poster"]

logger = logging.getLogger(__name__)

Poster = Callable[[list[dict[str, Any]]], Awaitable[None]]
"""``await post(events)``: store a batch at the site, or raise a ClientError."""
Sleep = Callable[[float], Awaitable[None]]


class EventLog:
    """The outbox of one session's log events."""

    def __init__(
        self,
        post: Poster,
        *,
        batch: int = 200,
        first_delay: float = 0.25,
        max_delay: float = 15.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._post = post
        self._batch = batch
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._sleep = sleep
        self._pending: deque[dict[str, Any]] = deque()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self.stored = 0
        """Events the site has confirmed (stored, or already known)."""
        self.dropped = 0
        """Events the site refused for good (a bad event: logged as an error)."""
        self.attempts = 0
        """POST attempts made, retries included."""

    def add(self, kind: str, actor: str, text: str = "") -> str:
        """Queue one event; returns its id."""
        event_id = str(uuid.uuid4())
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        self._pending.append(
            {"id": event_id, "kind": kind, "at": at, "actor": actor, "text": text}
        )
        self._idle.clear()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        return event_id

    @property
    def pending(self) -> int:
        """Events not yet confirmed by the site."""
        return len(self._pending)

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event is stored; False if ``timeout`` ran out first."""
        try:
            async with asyncio.timeout(timeout):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True

    async def aclose(self, timeout: float = 30.0) -> None:
        """Flush (up to ``timeout``), then stop; what is left is logged."""
        await self.flush(timeout)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._pending:
            logger.warning("%d session log events were not stored", len(self._pending))

    async def _run(self) -> None:
        delay = self._first_delay
        while self._pending:
            batch = [
                self._pending[i] for i in range(min(self._batch, len(self._pending)))
            ]
            self.attempts += 1
            try:
                await self._post(batch)
            except (SiteUnreachable, SiteRefused) as exc:
                if isinstance(exc, SiteRefused) and not exc.retryable:
                    logger.error("the site refused %d log events: %s", len(batch), exc)
                    self._done(len(batch))
                    self.dropped += len(batch)
                    continue
                pause = delay * random.uniform(0.5, 1.0)  # noqa: S311
                logger.info("log events not posted (%s); again in %.1f s", exc, pause)
                await self._sleep(pause)
                delay = min(2 * delay, self._max_delay)
                continue
            delay = self._first_delay
            self._done(len(batch))
            self.stored += len(batch)
        self._idle.set()

    def _done(self, count: int) -> None:
        for _ in range(count):
            self._pending.popleft()
