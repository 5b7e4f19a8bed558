"""The shared vectors (tests/vectors/channel-v1.json) replayed by Python."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from lifebuoy.protocol import Channel, ChannelClosed

VECTORS = Path(__file__).parents[2] / "vectors"
DATA = json.loads((VECTORS / "channel-v1.json").read_text())


def generator() -> ModuleType:
    """The generator script, imported as a module."""
    spec = importlib.util.spec_from_file_location(
        "make_channel_vectors", VECTORS / "make_channel_vectors.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = generator()


def play(count: int) -> dict[str, Channel]:
    """The fixed channels after the first ``count`` script steps."""
    chans: dict[str, Channel] = GEN.channels()
    queues: dict[str, list[bytes]] = {"customer": [], "technician": []}
    for step in DATA["script"][:count]:
        by = step["by"]
        other = "technician" if by == "customer" else "customer"
        if step["do"] == "deliver":
            for frame in queues[by]:
                chans[by].receive_frame(frame, DATA["now"])
            queues[by] = []
        elif step["do"] == "send":
            chans[by].send_message(bytes.fromhex(step["data"]))
        elif step["do"] == "close":
            chans[by].close(step["reason"])
        elif step["do"] == "transport_lost":
            chans[by].transport_lost()
            queues[other] = []
        else:
            getattr(chans[by], step["do"])()
        queues[other] += [bytes(f) for f in chans[by].frames_to_send()]
    return chans


def test_vectors_file_is_what_the_generator_writes_now() -> None:
    steps, chans = GEN.run_script()
    assert steps == DATA["script"]
    assert GEN.key_schedule(chans) == DATA["key_schedule"]


def test_certificates_in_the_vectors_verify() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from lifebuoy.protocol import verify_key_certificate

    site = Ed25519PublicKey.from_public_bytes(bytes.fromhex(DATA["site_key"]["public"]))
    for name, values in DATA["participants"].items():
        cert = verify_key_certificate(
            bytes.fromhex(values["certificate"]),
            {DATA["site_key"]["key_id"]: site},
            DATA["now"],
        )
        assert cert.participant_id == values["participant"]
        assert cert.role.label == name
        assert cert.public_key.hex() == values["public_key"]


@pytest.mark.parametrize("case", DATA["rejections"], ids=lambda c: c["name"])
def test_vector_rejections(case: dict[str, Any]) -> None:
    chans = play(case["after"])
    events = chans[case["by"]].receive_frame(bytes.fromhex(case["frame"]), DATA["now"])
    assert len(events) == 1
    assert isinstance(events[0], ChannelClosed)
    assert events[0].code == case["code"]
    assert not events[0].clean
