"""Password hashes: scrypt at N=2^17 with random salts, computed a few at once."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import threading
import time
from typing import Any

import pytest
from django.test import Client

from lifebuoy.site.accounts import hashing
from lifebuoy.site.accounts.hashing import HashingBusy, ScryptHasher

pytestmark = pytest.mark.django_db

_FORMAT = re.compile(
    r"scrypt\$131072\$(?P<salt>[A-Za-z0-9]{24})\$8\$1\$(?P<hash>[A-Za-z0-9+/]+=*)"
)


def _security(monkeypatch: pytest.MonkeyPatch, **changes: Any) -> None:
    monkeypatch.setattr(
        hashing, "_SECURITY", dataclasses.replace(hashing._SECURITY, **changes)
    )


@pytest.mark.real_hashing
def test_stored_hashes_are_scrypt_at_full_cost_with_distinct_salts(
    organization: Any,
) -> None:
    from lifebuoy.site.accounts.models import User

    same = "the same password for both"
    users = [
        User.objects.create_user(
            f"user{n}@acme.test", same, organization=organization, role="technician"
        )
        for n in (1, 2)
    ]
    matches = [_FORMAT.fullmatch(user.password) for user in users]
    assert all(matches), [user.password for user in users]
    assert matches[0]["salt"] != matches[1]["salt"]
    assert matches[0]["hash"] != matches[1]["hash"]
    assert users[0].check_password(same)


def test_salts_come_from_the_csprng(monkeypatch: pytest.MonkeyPatch) -> None:
    import secrets

    drawn: list[str] = []
    real_choice = secrets.choice

    def recording_choice(alphabet: str) -> str:
        drawn.append(real_choice(alphabet))
        return drawn[-1]

    monkeypatch.setattr(secrets, "choice", recording_choice)
    salt = ScryptHasher().salt()
    assert len(salt) == 24
    assert "".join(drawn) == salt
    assert len({ScryptHasher().salt() for _ in range(50)}) == 50


def test_averify_refuses_calls_beyond_the_hashing_slots(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _security(monkeypatch, password_hash_concurrency=2, password_hash_wait_s=0.05)
    release = threading.Event()
    running: list[str] = []

    def slow_verify(password: str, encoded: str) -> bool:
        running.append(password)
        release.wait(5)
        return True

    monkeypatch.setattr(hashing, "_verify", slow_verify)

    async def four_at_once() -> list[Any]:
        calls = [hashing.averify(f"p{n}", "x") for n in range(4)]
        gathered = asyncio.gather(*calls, return_exceptions=True)
        await asyncio.sleep(0.3)
        release.set()
        return list(await gathered)

    results = asyncio.run(four_at_once())
    assert results.count(True) == 2
    busy = [r for r in results if isinstance(r, HashingBusy)]
    assert len(busy) == 2
    assert len(running) == 2


def test_averify_lets_a_waiting_call_through_when_a_slot_frees(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The control for the test above: a wait long enough always succeeds.
    _security(monkeypatch, password_hash_concurrency=1, password_hash_wait_s=5.0)

    def short_verify(password: str, encoded: str) -> bool:
        time.sleep(0.05)
        return True

    monkeypatch.setattr(hashing, "_verify", short_verify)

    async def three() -> list[bool]:
        return list(await asyncio.gather(*(hashing.averify("p", "x") for _ in "abc")))

    assert asyncio.run(three()) == [True, True, True]


def test_synchronous_hash_refuses_when_every_slot_stays_busy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _security(monkeypatch, password_hash_wait_s=0.05)
    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(hashing, "_slots", slots)
    slots.acquire()
    try:
        with pytest.raises(HashingBusy):
            ScryptHasher().encode("password", ScryptHasher().salt())
    finally:
        slots.release()
    assert ScryptHasher().encode("password", "a" * 24).startswith("scrypt$")


def test_login_refuses_with_429_and_retry_after_when_hashing_is_busy(
    technician: Any, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lifebuoy.site.accounts import login

    async def busy(password: str, encoded: str) -> bool:
        raise HashingBusy("no slot")

    monkeypatch.setattr(login, "averify", busy)
    client = Client(secure=True)
    response = client.post(
        "/accounts/login/", {"login_id": technician.email, "password": password}
    )
    assert response.status_code == 429
    assert response["Retry-After"].isdigit()
    assert b"The site is busy logging others in." in response.content
    assert "_auth_user_id" not in client.session
