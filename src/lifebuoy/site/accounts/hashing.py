"""Password hashing: scrypt at OWASP's parameters, with bounded concurrency.

One scrypt hash at N=2^17, r=8 needs 128 MiB and about half a second of a
core. A flood of logins must not multiply that: at most
``password_hash_concurrency`` hashes run at once; others wait for a slot up
to ``password_hash_wait_s`` and then get ``HashingBusy`` (HTTP 429).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings

# django-stubs 5.2 does not describe ScryptPasswordHasher.
from django.contrib.auth.hashers import (  # type: ignore[attr-defined]
    ScryptPasswordHasher,
)
from django.utils.crypto import get_random_string

__all__ = ["DECOY_HASH", "HashingBusy", "ScryptHasher", "averify"]

_SECURITY = settings.LIFEBUOY.security
_slots = threading.BoundedSemaphore(_SECURITY.password_hash_concurrency)
_pool = ThreadPoolExecutor(
    max_workers=_SECURITY.password_hash_concurrency, thread_name_prefix="scrypt"
)

# Checked when a login ID does not exist, so that a wrong ID costs the same
# time as a wrong password. Its password is unknown (random, then discarded).
DECOY_HASH = (
    "scrypt$131072$Hq6bVwTe0bXkL3m9Rz2PcA8Y$8$1$"
    "ub5c1U8l0Zq1nB7m3F9pP2v0H6Wq4s9Kf3uXyTj8dLQp6NwVt0eCg1rA5hM2sJ7iKzB4oYx"
    "E9uD3fR6gH1wQ=="
)


class HashingBusy(Exception):
    """Every hashing slot stayed busy for the whole wait; retry later."""


@contextlib.contextmanager
def hashing_slot() -> Iterator[None]:
    if not _slots.acquire(timeout=_SECURITY.password_hash_wait_s):
        raise HashingBusy("too many logins at once; try again in a few seconds")
    try:
        yield
    finally:
        _slots.release()


class ScryptHasher(ScryptPasswordHasher):  # type: ignore[misc]
    """Django's scrypt hasher at N=2^17, r=8, p=1 with a 24-character salt."""

    work_factor = 2**17
    block_size = 8
    parallelism = 1
    # 128 * r * N bytes of work memory plus room for OpenSSL's bookkeeping.
    maxmem = 128 * 8 * 2**17 + 1024 * 1024

    def salt(self) -> str:
        return get_random_string(24)

    def encode(self, password: str, salt: str, *args: Any, **kwargs: Any) -> str:
        # ``verify`` calls ``encode``, so every hash passes through this slot.
        with hashing_slot():
            return str(super().encode(password, salt, *args, **kwargs))


def _verify(password: str, encoded: str) -> bool:
    try:
        return bool(ScryptHasher().verify(password, encoded))
    except ValueError:
        return False


class _Gate:
    """Admits ``slots`` hashes at once and lets at most ``queue`` more wait."""

    def __init__(self, slots: int, queue: int) -> None:
        self.semaphore = asyncio.Semaphore(slots)
        self.queue = queue
        self.waiting = 0

    async def acquire(self, timeout: float) -> None:
        if self.waiting >= self.queue:
            raise HashingBusy("too many logins are waiting; try again in a few seconds")
        self.waiting += 1
        try:
            await asyncio.wait_for(self.semaphore.acquire(), timeout)
        except TimeoutError as exc:
            raise HashingBusy(
                "too many logins at once; try again in a few seconds"
            ) from exc
        finally:
            self.waiting -= 1


_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Gate] = (
    weakref.WeakKeyDictionary()
)


async def averify(password: str, encoded: str) -> bool:
    """Check a password off the event loop, in the bounded hashing pool.

    Waiting happens here, as a coroutine costing a few hundred bytes, not as
    a blocked thread. A full queue or a wait past ``password_hash_wait_s``
    raises ``HashingBusy``.
    """
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _Gate(_SECURITY.password_hash_concurrency, _SECURITY.password_hash_queue)
        _gates[loop] = gate
    await gate.acquire(_SECURITY.password_hash_wait_s)
    try:
        return await loop.run_in_executor(_pool, _verify, password, encoded)
    finally:
        gate.semaphore.release()
