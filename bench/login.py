"""Login throughput and latency of a real site, with production password hashing.

Starts ``lifebuoy serve`` on SQLite and free ports, then performs 200 logins
(form GET + POST, as a browser does) from 16 concurrent clients, while
sampling the site process's memory. For a baseline measured in the same run,
it times one scrypt hash here: logins can go no faster than
``password_hash_concurrency / hash time``, and ``vs_hash_bound`` says how
close the site gets to that bound.

Run: ``.venv/bin/python bench/login.py``; the last line is JSON.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

from lifebuoy.testing.livesite import LiveSite, start_site

LOGINS = 200
CONCURRENCY = 16
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _scrypt_seconds() -> float:
    started = time.perf_counter()
    hashlib.scrypt(
        b"benchmark password",
        salt=b"s" * 24,
        n=2**17,
        r=8,
        p=1,
        maxmem=129 * 1024 * 1024,
        dklen=64,
    )
    return time.perf_counter() - started


class PeakMemory(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            try:
                rss = self.process.memory_info().rss
            except psutil.Error:
                return
            self.peak = max(self.peak, rss)
            time.sleep(0.02)


async def _login(client: httpx.AsyncClient, email: str, password: str) -> bool:
    form = await client.get("/accounts/login/")
    match = _TOKEN.search(form.text)
    if form.status_code != 200 or match is None:
        return False
    answer = await client.post(
        "/accounts/login/",
        data={"login_id": email, "password": password, "csrfmiddlewaretoken": match[1]},
        headers={"Referer": f"{client.base_url}/accounts/login/"},
    )
    return answer.status_code == 302 and "/accounts/" in answer.headers["location"]


async def _worker(
    site: LiveSite,
    jobs: asyncio.Queue[int],
    latencies: list[float],
    failures: list[int],
) -> None:
    accounts = sorted(site.passwords.items())
    while True:
        try:
            number = jobs.get_nowait()
        except asyncio.QueueEmpty:
            return
        email, password = accounts[number % len(accounts)]
        async with httpx.AsyncClient(
            base_url=site.url, verify=str(site.ca_file), timeout=60
        ) as client:
            started = time.perf_counter()
            ok = await _login(client, email, password)
            latencies.append(time.perf_counter() - started)
        if not ok:
            failures.append(number)


async def _run(site: LiveSite) -> tuple[float, list[float], list[int]]:
    jobs: asyncio.Queue[int] = asyncio.Queue()
    for number in range(LOGINS):
        jobs.put_nowait(number)
    latencies: list[float] = []
    failures: list[int] = []
    started = time.perf_counter()
    await asyncio.gather(
        *(_worker(site, jobs, latencies, failures) for _ in range(CONCURRENCY))
    )
    return time.perf_counter() - started, latencies, failures


def main() -> None:
    hash_s = statistics.median(_scrypt_seconds() for _ in range(3))
    with (
        tempfile.TemporaryDirectory(prefix="lifebuoy-bench-") as folder,
        start_site(Path(folder) / "var") as site,
    ):
        memory = PeakMemory(site.process.pid)
        memory.start()
        elapsed, latencies, failures = asyncio.run(_run(site))
        memory.running = False
        memory.join()

    from lifebuoy.config import load

    slots = load().security.password_hash_concurrency
    rate = LOGINS / elapsed
    latencies.sort()
    figures = {
        "logins_per_s": round(rate, 2),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
        "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99) - 1], 1),
        "peak_rss_mib": round(memory.peak / 2**20, 1),
        "failures": len(failures),
        "scrypt_ms": round(1000 * hash_s, 1),
        "hash_slots": slots,
        "vs_hash_bound": round(rate / (slots / hash_s), 3),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
