"""The session log outbox: retried with backoff, nothing lost or duplicated."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from channel_helpers import run_async

from lifebuoy.client import EventLog, SiteRefused, SiteUnreachable
from lifebuoy.client._site import _json


class FlakySite:
    """Fails the first ``failures`` posts (unreachable), then stores by id."""

    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or SiteUnreachable("connection refused")
        self.posts: list[list[str]] = []
        self.stored: dict[str, dict[str, Any]] = {}

    async def post(self, batch: list[dict[str, Any]]) -> None:
        self.posts.append([event["id"] for event in batch])
        if self.failures:
            self.failures -= 1
            raise self.error
        for event in batch:
            self.stored.setdefault(event["id"], event)


@run_async
async def test_eventlog_retries_the_same_batch_until_the_site_answers() -> None:
    site = FlakySite(failures=3)
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    log = EventLog(site.post, first_delay=1.0, sleep=sleep)
    ids = [log.add("chat.technician", "technician-1", f"line {n}") for n in range(5)]
    assert await log.flush(timeout=5)

    assert site.posts == [ids] * 4  # the same ids each time: idempotent
    assert sorted(site.stored) == sorted(ids)
    assert [site.stored[i]["text"] for i in ids] == [f"line {n}" for n in range(5)]
    assert 0.5 <= pauses[0] <= 1.0
    assert 2.0 <= pauses[2] <= 4.0
    assert (log.stored, log.pending, log.attempts) == (5, 0, 4)


@run_async
async def test_eventlog_sends_in_batches_in_order() -> None:
    site = FlakySite(failures=0)
    log = EventLog(site.post, batch=2)
    ids = [log.add("chat.customer", "customer-1", str(n)) for n in range(5)]
    await log.aclose()
    assert [i for batch in site.posts for i in batch] == ids
    assert [len(batch) for batch in site.posts] == [2, 2, 1]


@run_async
async def test_eventlog_drops_a_batch_the_site_refuses_for_good() -> None:
    site = FlakySite(failures=1, error=SiteRefused("events[0].kind is wrong", 400))
    log = EventLog(site.post)
    log.add("chat.customer", "customer-1", "x")
    assert await log.flush(timeout=5)
    assert (log.dropped, log.stored, len(site.posts)) == (1, 0, 1)


@run_async
async def test_eventlog_flush_times_out_while_the_site_is_away() -> None:
    site = FlakySite(failures=10**6)
    log = EventLog(site.post, first_delay=0.01, max_delay=0.02)
    log.add("chat.customer", "customer-1", "x")
    assert not await log.flush(timeout=0.2)
    assert log.pending == 1
    await log.aclose(timeout=0)


def test_site_errors_carry_the_sites_words_and_status() -> None:
    refused = httpx.Response(409, json={"error": "Pick the session up first."})
    with pytest.raises(SiteRefused) as caught:
        _json(refused)
    assert (str(caught.value), caught.value.status) == (
        "Pick the session up first.",
        409,
    )
    assert not caught.value.retryable

    with pytest.raises(SiteRefused) as caught:
        _json(httpx.Response(503, text="<html>"))
    assert caught.value.retryable
