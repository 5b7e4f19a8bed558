"""The customer's side of the acceptance test: the customer pages as a browser
posts them, and a real ``lifebuoy-applet --terminal`` whose printed lines the
test reads."""

from __future__ import annotations

import os
import queue
import re
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from lifebuoy.testing.livesite import LiveSite

APPLET = Path(sys.executable).with_name("lifebuoy-applet")
_FORM_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def fetch_session_file(
    site: LiveSite, pin: str, name: str, problem: str, folder: Path
) -> Path:
    """Enter the PIN on ``/support/`` and download the session file."""
    trust = ssl.create_default_context(cafile=str(site.ca_file))
    with httpx.Client(base_url=site.url, verify=trust, timeout=30) as browser:
        form = browser.get("/support/")
        token = _FORM_TOKEN.search(form.text)
        assert form.status_code == 200
        assert token is not None, form.text[:2000]

        fields = {"pin": pin, "name": name, "problem": problem}
        entered = browser.post(
            "/support/",
            data={**fields, "csrfmiddlewaretoken": token[1]},
            headers={"Referer": f"{site.url}/support/", "Origin": site.url},
        )
        assert entered.status_code == 302, entered.text[:2000]

        download = browser.get("/support/ready/lifebuoy.lifebuoy")
        assert download.status_code == 200, download.text[:2000]
    path = folder / f"lifebuoy-{pin}.lifebuoy"
    path.write_bytes(download.content)
    return path


@dataclass(frozen=True)
class Printed:
    """A line the applet printed."""

    index: int
    """Its position in ``Applet.lines``."""
    match: re.Match[str]
    """The pattern it was found with."""


class Applet:
    """``lifebuoy-applet --terminal FILE``: stdin a pipe, stdout read by a thread."""

    def __init__(
        self, file: Path, state_dir: Path, *, display: str | None = None
    ) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DISPLAY", "WAYLAND_DISPLAY")
        }
        env["LIFEBUOY_APPLET_STATE_DIR"] = str(state_dir)
        if display is not None:  # the customer's screen (terminal mode still)
            env["DISPLAY"] = display
        self.process = subprocess.Popen(
            [str(APPLET), "--terminal", "--keep-file", str(file)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        """Every line read so far."""
        self._incoming: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._incoming.put(line.rstrip("\n"))
        self._incoming.put(None)

    def line(self, pattern: str, *, after: int = -1, timeout: float = 30) -> Printed:
        """The first line past index ``after`` that matches ``pattern``."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        index = after + 1
        while True:
            while index < len(self.lines):
                if match := regex.search(self.lines[index]):
                    return Printed(index, match)
                index += 1
            if not self._read_one(deadline - time.monotonic()):
                raise AssertionError(
                    f"the applet printed no line matching {pattern!r} after line "
                    f"{after}; it printed:\n" + "\n".join(self.lines)
                )

    def _read_one(self, timeout: float) -> bool:
        try:
            line = self._incoming.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return False
        if line is None:
            self._incoming.put(None)  # the end stays the end
            return False
        self.lines.append(line)
        return True

    def type(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def wait(self, timeout: float = 30) -> int:
        """The exit code, once every line it printed is in ``lines``."""
        code = self.process.wait(timeout=timeout)
        while self._read_one(timeout):
            pass
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
