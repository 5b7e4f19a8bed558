"""Reports to the site, and the command line that configures them."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lifebuoy.gateway import CallbackReporter, HttpReporter, Role, SessionEvent, cli


def _event(kind: str = "paired") -> SessionEvent:
    return SessionEvent(kind, "s-1", Role.CUSTOMER, "p", None, 10, 20)


@pytest.fixture
def site() -> Iterator[tuple[str, list[tuple[str, dict[str, object]]]]]:
    received: list[tuple[str, dict[str, object]]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers["Authorization"], json.loads(body)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/events", received
    server.shutdown()


def test_http_reporter_posts_events_with_the_bearer_token(
    site: tuple[str, list[tuple[str, dict[str, object]]]], tmp_path: Path
) -> None:
    url, received = site
    token = tmp_path / "token"
    token.write_text("s3cret\n")

    reporter = HttpReporter(url, token)
    reporter.report(_event("waiting"))
    reporter.report(_event("paired"))
    reporter.close()

    assert {auth for auth, _ in received} == {"Bearer s3cret"}
    events = [e for _, body in received for e in body["events"]]  # type: ignore[attr-defined]
    assert [e["kind"] for e in events] == ["waiting", "paired"]
    assert events[0]["bytes_from_technician"] == 20


def test_http_reporter_drops_the_oldest_when_full(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("t")
    reporter = HttpReporter("http://127.0.0.1:9/", token, queue_size=2, timeout=0.2)
    reporter._wakeup.acquire()  # hold the worker back while queueing
    try:
        for kind in ("a", "b", "c", "d"):
            reporter.report(_event(kind))
        assert [e["kind"] for e in reporter._queue] == ["c", "d"]
        assert reporter.dropped == 2
    finally:
        reporter._wakeup.release()
    reporter.close()


def test_callback_reporter_survives_a_failing_callback() -> None:
    def broken(event: SessionEvent) -> None:
        raise RuntimeError("site bug")

    CallbackReporter(broken).report(_event())


def test_cli_builds_the_configuration(tmp_path: Path) -> None:
    key_file = tmp_path / "site.pub"
    key_file.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    parser = cli.argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args(
        [
            f"--site-key=k1={key_file}",
            f"--site-key=k2={key_file}",
            "--allowed-origin=https://support.example",
            "--resume-grace=5",
            "--port=0",
            "--tls-engine=system",
        ]
    )

    config = cli.config_from_args(args)

    assert set(config.site_keys) == {"k1", "k2"}
    assert config.tls_engine == "system"
    assert config.allowed_origins == ("https://support.example",)
    assert config.limits.resume_grace == 5
    assert config.limits.hold_timeout == 600


def test_cli_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--help"])

    assert exited.value.code == 0
    out = capsys.readouterr().out
    options = ("--tls-cert", "--tls-engine", "--site-key", "--allowed-origin")
    for option in (*options, "--report-url"):
        assert option in out
