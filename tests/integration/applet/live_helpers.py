"""The customer's way to a session file, a running applet whose lines a test
reads, and a logged-in technician."""

from __future__ import annotations

import os
import queue
import re
import ssl
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from lifebuoy.client import SiteClient
from lifebuoy.testing.livesite import LiveSite

TECHNICIAN = "tech1@demo.lifebuoy.test"
NEW_PASSWORD = "applet tests change this password 2026"
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_logged_in: set[str] = set()


async def technician(site: LiveSite) -> SiteClient:
    """tech1, logged in (changing the one-time password the first time)."""
    client = SiteClient(site.url, verify=site.ca_file)
    if TECHNICIAN in _logged_in:
        await client.login(TECHNICIAN, NEW_PASSWORD)
    else:
        await client.login(
            TECHNICIAN, site.passwords[TECHNICIAN], new_password=NEW_PASSWORD
        )
        _logged_in.add(TECHNICIAN)
    return client


def download_session_file(
    site: LiveSite, pin: str, folder: Path, name: str = "Pat Customer"
) -> Path:
    """Enter the PIN on /support/ and download the session file, as a browser."""
    trust = ssl.create_default_context(cafile=str(site.ca_file))
    with httpx.Client(base_url=site.url, verify=trust) as browser:
        form = browser.get("/support/")
        token = _TOKEN.search(form.text)
        assert form.status_code == 200
        assert token is not None
        entered = browser.post(
            "/support/",
            data={
                "pin": pin,
                "name": name,
                "problem": "The printer prints nothing",
                "csrfmiddlewaretoken": token[1],
            },
            headers={"Referer": f"{site.url}/support/", "Origin": site.url},
        )
        assert entered.status_code == 302, entered.text[:2000]
        download = browser.get("/support/ready/lifebuoy.lifebuoy")
        assert download.status_code == 200
        disposition = download.headers["content-disposition"]
    assert f"lifebuoy-{pin}.lifebuoy" in disposition
    path = folder / f"lifebuoy-{pin}.lifebuoy"
    path.write_bytes(download.content)
    return path


class RunningApplet:
    """An applet process; its stdout lines go to a queue a test waits on."""

    def __init__(
        self, command: Sequence[str], state_dir: Path, display: str | None = None
    ) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DISPLAY", "WAYLAND_DISPLAY")
        }
        env["LIFEBUOY_APPLET_STATE_DIR"] = str(state_dir)
        if display is not None:
            env["DISPLAY"] = display
        self.process = subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_line(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """The first line (from now on or seen before) matching ``pattern``."""
        regex = re.compile(pattern)
        for line in self.lines:
            if match := regex.search(line):
                return match
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self._queue.get(timeout=max(0.0, remaining))
            except queue.Empty:
                line = None
                remaining = 0
            if line is None:
                raise AssertionError(
                    f"no line matching {pattern!r}; output:\n" + "\n".join(self.lines)
                )
            self.lines.append(line)
            if match := regex.search(line):
                return match

    def type(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def wait(self, timeout: float = 30) -> int:
        """Wait for the process to exit; every line it printed is in ``lines``."""
        code = self.process.wait(timeout=timeout)
        while (line := self._queue.get(timeout=timeout)) is not None:
            self.lines.append(line)
        self._queue.put(None)
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
