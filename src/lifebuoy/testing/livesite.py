"""Start a real ``lifebuoy serve`` in a subprocess, on free ports.

The site gets its own data folder (database, keys, certificates), prints the
demo accounts' one-time passwords, and is ready when it prints its
``Lifebuoy is ready at`` line. Tests and benchmarks use it to talk to the
product exactly as a browser or applet would.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["LiveSite", "free_port", "start_site"]

_ACCOUNT = re.compile(r"^\s+(.+?)\s{2,}(\S+@\S+)\s+(\S+)\s*$")
_READY = "Lifebuoy is ready at "


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveSite:
    url: str
    """The site's https URL."""
    data_dir: Path
    """Its data folder (SQLite database, keys, certificates)."""
    process: subprocess.Popen[str]
    """The ``lifebuoy serve`` process."""
    passwords: dict[str, str] = field(default_factory=dict)
    """One-time passwords printed at start, by login ID."""
    output: list[str] = field(default_factory=list)
    """Every line the process printed up to readiness."""
    env: dict[str, str] = field(default_factory=dict)
    """The Lifebuoy settings it was started with (ports, data folder)."""

    @property
    def ca_file(self) -> Path:
        return self.data_dir / "tls" / "ca.pem"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _read_until_ready(process: subprocess.Popen[str], timeout: float) -> list[str]:
    """Lines up to the ready line; a thread keeps draining the pipe after it."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if line.startswith(_READY):
            return seen
    raise RuntimeError("lifebuoy serve did not become ready:\n" + "\n".join(seen[-40:]))


def _passwords(lines: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lines:
        match = _ACCOUNT.match(line)
        if match:
            found[match.group(2)] = match.group(3)
    return found


def launch(
    command: Sequence[str],
    data_dir: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120.0,
) -> LiveSite:
    """Run ``command`` (a ``lifebuoy serve`` or ``./run.sh``) until it is ready."""
    port, gateway_port = free_port(), free_port()
    settings = {
        "LIFEBUOY_SITE_DATA_DIR": str(data_dir),
        "LIFEBUOY_SITE_PORT": str(port),
        "LIFEBUOY_GATEWAY_PORT": str(gateway_port),
        **(env or {}),
    }
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", **settings}
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = _read_until_ready(process, timeout)
    except BaseException:
        process.kill()
        process.wait()
        raise
    url = lines[-1].removeprefix(_READY).strip()
    return LiveSite(url, data_dir, process, _passwords(lines), lines, settings)


@contextlib.contextmanager
def start_site(
    data_dir: Path, env: Mapping[str, str] | None = None, timeout: float = 120.0
) -> Iterator[LiveSite]:
    """A ``lifebuoy serve`` from this environment, stopped on exit."""
    lifebuoy = Path(sys.executable).with_name("lifebuoy")
    site = launch([str(lifebuoy), "serve"], data_dir, env=env, timeout=timeout)
    try:
        yield site
    finally:
        site.stop()
