"""Generate tests/vectors/channel-v1.json from fixed keys and fixed randoms.

Run from the repository root:
``.venv/bin/python tests/vectors/make_channel_vectors.py``.
The values also appear in docs/protocol.md ("Worked example").
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from lifebuoy.protocol import (
    Channel,
    ChannelClosed,
    Event,
    HandshakeComplete,
    Limits,
    MessageReceived,
    Resumed,
    Role,
    issue_key_certificate,
)

OUT = Path(__file__).with_name("channel-v1.json")
SITE_SEED = bytes(range(32))
KEY_ID = "site-2025-a"
SESSION = "5b1d6f0e-session"
NOW = 1_767_225_600
ISSUED, EXPIRES = NOW - 60, NOW + 3600
LIMITS = {"frames_per_key": 4}
INPUT = {
    "customer": {
        "private_key": bytes([0x11] * 32),
        "random": bytes([0xC1] * 32),
        "participant": "customer-42",
    },
    "technician": {
        "private_key": bytes([0x22] * 32),
        "random": bytes([0x7E] * 32),
        "participant": "technician-alice",
    },
}
SCRIPT: list[dict[str, Any]] = [
    {"by": "customer", "do": "initiate"},
    {"by": "technician", "do": "initiate"},
    {"by": "technician", "do": "deliver"},
    {"by": "customer", "do": "deliver"},
    {"by": "technician", "do": "deliver"},
    {"by": "customer", "do": "deliver"},
    {"by": "customer", "do": "send", "data": b"hello technician".hex()},
    {"by": "technician", "do": "deliver"},
    {"by": "technician", "do": "send", "data": b"hello customer".hex()},
    {"by": "customer", "do": "deliver"},
    {"by": "customer", "do": "acknowledge"},
    {"by": "technician", "do": "deliver"},
    {"by": "customer", "do": "send", "data": b"one".hex()},
    {"by": "customer", "do": "send", "data": b"two".hex()},
    {"by": "customer", "do": "send", "data": b"three".hex()},
    {"by": "customer", "do": "transport_lost"},
    {"by": "technician", "do": "transport_lost"},
    {"by": "customer", "do": "resume"},
    {"by": "technician", "do": "resume"},
    {"by": "technician", "do": "deliver"},
    {"by": "customer", "do": "deliver"},
    {"by": "technician", "do": "deliver"},
    {"by": "technician", "do": "close", "reason": "bye"},
    {"by": "customer", "do": "deliver"},
    {"by": "technician", "do": "deliver"},
]


def summarize(event: Event) -> str:
    """A short text form of an event, the same in Python and JavaScript."""
    if isinstance(event, HandshakeComplete):
        return f"handshake {event.comparison_code} {event.peer_participant}"
    if isinstance(event, MessageReceived):
        return f"message {event.data.hex()}"
    if isinstance(event, Resumed):
        return f"resumed {event.retransmitted}"
    if isinstance(event, ChannelClosed):
        state = "clean" if event.clean else "unclean"
        return f"closed {event.code} {state} {'peer' if event.by_peer else 'self'}"
    return type(event).__name__


def certificate(role: str, signing_key: Ed25519PrivateKey) -> bytes:
    """The fixed certificate of one participant."""
    key = X25519PrivateKey.from_private_bytes(INPUT[role]["private_key"])
    return issue_key_certificate(
        signing_key,
        KEY_ID,
        session_id=SESSION,
        role=Role[role.upper()],
        participant_id=INPUT[role]["participant"],
        public_key=key.public_key().public_bytes_raw(),
        issued_at=ISSUED,
        expires_at=EXPIRES,
    )


def channels() -> dict[str, Channel]:
    """The two fixed channels, before any step."""
    site = Ed25519PrivateKey.from_private_bytes(SITE_SEED)
    made = {}
    for role in ("customer", "technician"):
        random = INPUT[role]["random"]
        made[role] = Channel(
            role=Role[role.upper()],
            session_id=SESSION,
            certificate=certificate(role, site),
            private_key=X25519PrivateKey.from_private_bytes(INPUT[role]["private_key"]),
            site_keys={KEY_ID: site.public_key()},
            now=NOW,
            limits=Limits(**LIMITS),
            randbytes=lambda n, r=random: r[:n],
        )
    return made


def run_script() -> tuple[list[dict[str, Any]], dict[str, Channel]]:
    """Play the script and record what each step sends and reports."""
    chans = channels()
    queues: dict[str, list[bytes]] = {"customer": [], "technician": []}
    steps = []
    for step in SCRIPT:
        by, other = step["by"], "technician" if step["by"] == "customer" else "customer"
        chan, events = chans[by], []
        if step["do"] == "deliver":
            for frame in queues[by]:
                events += chan.receive_frame(frame, NOW)
            queues[by] = []
        elif step["do"] == "send":
            chan.send_message(bytes.fromhex(step["data"]))
        elif step["do"] == "close":
            chan.close(step["reason"])
        elif step["do"] == "transport_lost":
            events += chan.transport_lost()
            queues[other] = []
        else:
            getattr(chan, step["do"])()
        frames = [bytes(f) for f in chan.frames_to_send()]
        queues[other] += frames
        steps.append(
            {
                **step,
                "frames": [f.hex() for f in frames],
                "events": [summarize(e) for e in events],
            }
        )
    return steps, chans


def key_schedule(chans: dict[str, Channel]) -> dict[str, str]:
    """Intermediate values of the customer's side, for the worked example."""
    result = chans["customer"]._result
    assert result is not None
    own = X25519PrivateKey.from_private_bytes(INPUT["customer"]["private_key"])
    return {
        "shared_secret": own.exchange(
            X25519PrivateKey.from_private_bytes(
                INPUT["technician"]["private_key"]
            ).public_key()
        ).hex(),
        "transcript_hash": result.transcript.hex(),
        "comparison_code": result.comparison_code,
        "customer_data_secret_0": result.send.data.secret.hex(),
        "customer_data_key_0": result.send.data.key.hex(),
        "customer_data_key_1": result.send.data.advance().key.hex(),
        "customer_control_key": result.send.control_key.hex(),
        "technician_data_secret_0": result.receive.data.secret.hex(),
        "technician_data_key_0": result.receive.data.key.hex(),
        "technician_control_key": result.receive.control_key.hex(),
    }


def rejections(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Frames that must end a channel with a given code, after a script prefix."""
    hello_t = bytes.fromhex(steps[2]["frames"][0])
    c0 = bytes.fromhex(steps[6]["frames"][0])
    t0 = bytes.fromhex(steps[8]["frames"][0])
    flipped = bytearray(c0)
    flipped[-1] ^= 1
    version = bytearray(c0)
    version[0] = 2
    downgraded = bytearray(hello_t)
    downgraded[0] = 2
    return [
        {
            "name": "replayed data frame",
            "after": 8,
            "by": "technician",
            "frame": c0.hex(),
            "code": 14,
        },
        {
            "name": "reflected data frame",
            "after": 8,
            "by": "technician",
            "frame": t0.hex(),
            "code": 16,
        },
        {
            "name": "data frame ahead of its turn",
            "after": 6,
            "by": "technician",
            "frame": c0[:4].hex() + (1).to_bytes(8, "big").hex() + c0[12:].hex(),
            "code": 15,
        },
        {
            "name": "tag altered",
            "after": 6,
            "by": "technician",
            "frame": flipped.hex(),
            "code": 13,
        },
        {
            "name": "version byte changed",
            "after": 6,
            "by": "technician",
            "frame": version.hex(),
            "code": 3,
        },
        {
            "name": "hello format changed",
            "after": 2,
            "by": "customer",
            "frame": downgraded.hex(),
            "code": 3,
        },
        {
            "name": "truncated frame",
            "after": 6,
            "by": "technician",
            "frame": c0[:30].hex(),
            "code": 1,
        },
        {
            "name": "data before the handshake",
            "after": 2,
            "by": "customer",
            "frame": t0.hex(),
            "code": 6,
        },
    ]


def main() -> None:
    """Write the vectors file."""
    steps, chans = run_script()
    site = Ed25519PrivateKey.from_private_bytes(SITE_SEED)
    data = {
        "description": "Lifebuoy channel v1 test vectors; see docs/protocol.md",
        "site_key": {
            "key_id": KEY_ID,
            "seed": SITE_SEED.hex(),
            "public": site.public_key().public_bytes_raw().hex(),
        },
        "session_id": SESSION,
        "now": NOW,
        "limits": LIMITS,
        "participants": {
            role: {
                "participant": v["participant"],
                "private_key": v["private_key"].hex(),
                "public_key": X25519PrivateKey.from_private_bytes(v["private_key"])
                .public_key()
                .public_bytes_raw()
                .hex(),
                "random": v["random"].hex(),
                "issued_at": ISSUED,
                "expires_at": EXPIRES,
                "certificate": certificate(role, site).hex(),
            }
            for role, v in INPUT.items()
        },
        "key_schedule": key_schedule(chans),
        "script": steps,
        "rejections": rejections(steps),
    }
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
