"""The session file is read strictly: anything wrong is a clear sentence."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from applet_helpers import SESSION_ID, session_document
from channel_helpers import Site

from lifebuoy.applet import SessionFileError, load_session_file, parse_session_file
from lifebuoy.applet.__main__ import main

GATEWAYS = ["wss://127.0.0.1:8444"]
BROKEN_PEM = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"


def encoded(site: Site, /, **changes: Any) -> bytes:
    return json.dumps(session_document(site, GATEWAYS, **changes)).encode()


def refused(raw: bytes) -> str:
    with pytest.raises(SessionFileError) as caught:
        parse_session_file(raw)
    return str(caught.value)


def test_session_file_valid_is_read(site: Site) -> None:
    file = parse_session_file(encoded(site))
    assert file.session_id == SESSION_ID
    assert file.gateways == tuple(GATEWAYS)
    assert file.site == "https://support.example.test"
    assert file.ssl_context().verify_mode.name == "CERT_REQUIRED"


def test_session_file_without_a_ca_uses_the_system_store(site: Site) -> None:
    document = session_document(site, GATEWAYS)
    del document["site_ca_pem"]
    assert parse_session_file(json.dumps(document).encode()).site_ca_pem is None


@pytest.mark.parametrize(
    "field", ["site", "gateways", "session_id", "credential", "signing_keys"]
)
def test_session_file_missing_field_is_named(site: Site, field: str) -> None:
    document = session_document(site, GATEWAYS)
    del document[field]
    assert field in refused(json.dumps(document).encode())


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"type": "something-else"}, "not a Lifebuoy session file"),
        ({"version": 2}, "another version"),
        ({"version": "1"}, "another version"),
        ({"version": True}, "another version"),
        ({"site": "http://support.example.test"}, "site is not a https://"),
        ({"site": "https://user:pw@evil.test"}, "site is not a https://"),
        ({"site": 42}, "site is not"),
        ({"site": "https://" + "a" * 5000}, "site is not"),
        ({"gateways": "wss://127.0.0.1"}, "gateways must list"),
        ({"gateways": []}, "gateways must list"),
        ({"gateways": ["wss://g.test"] * 9}, "gateways must list"),
        ({"gateways": ["https://g.test"]}, "a gateway is not a wss://"),
        ({"gateways": ["wss://g.test:99999"]}, "a gateway is not a wss://"),
        ({"session_id": "s_short"}, "session_id is not valid"),
        ({"session_id": ["s_" + "A" * 22]}, "session_id is not valid"),
        ({"credential": "a.b\n"}, "credential is not valid"),
        ({"credential": "x" * 5000 + ".y"}, "credential is not valid"),
        ({"signing_keys": []}, "signing_keys must hold"),
        ({"signing_keys": {}}, "signing_keys must hold"),
        ({"signing_keys": {"k": "AAAA"}}, "a signing key is not valid"),
        ({"signing_keys": {"k": 7}}, "a signing key is not valid"),
        ({"signing_keys": {"k" * 300: "A" * 43 + "="}}, "key id is not valid"),
        ({"site_ca_pem": "not a certificate"}, "site_ca_pem is not a certificate"),
        (
            {"site_ca_pem": BROKEN_PEM},
            "site_ca_pem is not a certificate",
        ),
        ({"extra": 1}, "unknown fields ('extra')"),
    ],
)
def test_session_file_wrong_field_is_refused(
    site: Site, changes: dict[str, Any], words: str
) -> None:
    assert words in refused(encoded(site, **changes))


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json at all",
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'"lifebuoy-session"',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"type": "lifebuoy-session", "type": "lifebuoy-session"}',
        b'{"type": "lifebuoy-session", "version": NaN}',
    ],
)
def test_session_file_that_is_not_one_is_refused(raw: bytes) -> None:
    message = refused(raw)
    assert message.startswith("This session file cannot be used")


def test_session_file_far_too_large_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "lifebuoy-123456.lifebuoy"
    path.write_bytes(b" " * (300 << 10))
    with pytest.raises(SessionFileError, match="far too large"):
        load_session_file(path)


def test_session_file_missing_or_a_folder_is_explained(tmp_path: Path) -> None:
    with pytest.raises(SessionFileError, match="There is no file"):
        load_session_file(tmp_path / "nothing.lifebuoy")
    with pytest.raises(SessionFileError, match="is a folder"):
        load_session_file(tmp_path)


def test_applet_exits_2_with_a_sentence_for_a_hostile_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "evil.lifebuoy"
    path.write_bytes(b'{"type": "lifebuoy-session", "version": 1, "site": []}')
    assert main(["--terminal", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Lifebuoy: This session file cannot be used")
    assert path.exists()


def test_applet_command_prints_no_traceback_for_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.lifebuoy"
    path.write_bytes(b"\x00" * 64)
    done = subprocess.run(
        [sys.executable, "-m", "lifebuoy.applet", "--terminal", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "damaged or not a session file" in done.stderr
