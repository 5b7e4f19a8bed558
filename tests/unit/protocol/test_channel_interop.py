"""Python customer against the JavaScript technician (node), over stdin/stdout."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path
from typing import IO, Any

import pytest
from channel_peers import NOW, SESSION, SITE_KEY, SITE_KEYS, make_certificate
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from lifebuoy.protocol import (
    Channel,
    ChannelClosed,
    Event,
    HandshakeComplete,
    MessageReceived,
    Role,
    issue_key_certificate,
)

PEER = Path(__file__).parents[2] / "js" / "interop_peer.mjs"
pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node")


def write(stream: IO[bytes], kind: bytes, body: bytes) -> None:
    stream.write(struct.pack(">I", len(body) + 1) + kind + body)
    stream.flush()


def read(stream: IO[bytes]) -> tuple[bytes, bytes]:
    head = stream.read(4)
    assert len(head) == 4, "node peer stopped"
    (size,) = struct.unpack(">I", head)
    body = stream.read(size)
    return body[:1], body[1:]


def test_python_and_javascript_agree_end_to_end() -> None:
    node = subprocess.Popen(
        ["node", str(PEER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert node.stdin is not None
    assert node.stdout is not None
    try:
        run_session(node.stdin, node.stdout)
    finally:
        node.stdin.close()
        node.wait(timeout=10)


def run_session(to_node: IO[bytes], from_node: IO[bytes]) -> None:
    _kind, body = read(from_node)
    node_key = bytes.fromhex(json.loads(body)["public_key"])
    certificate = issue_key_certificate(
        SITE_KEY,
        "site-1",
        session_id=SESSION,
        role=Role.TECHNICIAN,
        participant_id="tech-js",
        public_key=node_key,
        issued_at=int(NOW) - 60,
        expires_at=int(NOW) + 3600,
    )
    config = {
        "role": "technician",
        "session_id": SESSION,
        "certificate": certificate.hex(),
        "site_keys": {"site-1": SITE_KEYS["site-1"].public_bytes_raw().hex()},
        "now": NOW,
    }
    write(to_node, b"J", json.dumps(config).encode())

    key = X25519PrivateKey.generate()
    channel = Channel(
        role=Role.CUSTOMER,
        session_id=SESSION,
        certificate=make_certificate(Role.CUSTOMER, key),
        private_key=key,
        site_keys=SITE_KEYS,
        now=NOW,
    )
    channel.initiate()
    sent = [b"one", b"\x00\xff" * 5000, bytes(range(256)) * 4096]
    events, reports = exchange(channel, to_node, from_node, sent)

    (done,) = [e for e in events if isinstance(e, HandshakeComplete)]
    assert reports[0] == {
        "event": "handshake",
        "code": done.comparison_code,
        "peer": "customer-7",
    }
    assert done.peer_participant == "tech-js"
    received = [e.data for e in events if isinstance(e, MessageReceived)]
    assert received == [b"hello from js", *(m[::-1] for m in sent)]
    (closed,) = [e for e in events if isinstance(e, ChannelClosed)]
    assert closed.clean
    assert not closed.by_peer
    assert reports[1] == {
        "event": "closed",
        "code": 0,
        "clean": True,
        "reason": "py done",
    }


def exchange(
    channel: Channel, to_node: IO[bytes], from_node: IO[bytes], sent: list[bytes]
) -> tuple[list[Event], list[dict[str, Any]]]:
    """Pump frames until both ends report the close."""
    events: list[Event] = []
    reports: list[dict[str, Any]] = []
    pending = list(sent)
    while len(reports) < 2 or not channel.closed:
        for frame in channel.frames_to_send():
            write(to_node, b"F", bytes(frame))
        if channel.closed and len(reports) == 2:
            break
        kind, body = read(from_node)
        if kind == b"J":
            reports.append(json.loads(body))
            continue
        events += channel.receive_frame(body, NOW)
        if channel.is_open and pending:
            channel.send_message(pending.pop(0))
        got = sum(isinstance(e, MessageReceived) for e in events)
        if got == len(sent) + 1 and not pending:
            channel.close("py done")
    return events, reports
