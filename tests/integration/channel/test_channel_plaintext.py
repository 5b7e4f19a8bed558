"""The gateway relays a whole session and never sees a byte of plaintext."""

from __future__ import annotations

import os

from channel_helpers import Site, run_async, running_gateway, url

from lifebuoy.gateway import Role as GatewayRole
from lifebuoy.protocol import ErrorCode

MARKER = b"LIFEBUOY-PLAINTEXT-MARKER-" + os.urandom(8).hex().encode()


def _messages(direction: bytes) -> list[bytes]:
    """Messages of several sizes carrying the marker at odd offsets, and once
    split across two messages."""
    half = len(MARKER) // 2 + 1
    return [
        MARKER,
        b"x" + MARKER + direction,
        os.urandom(1001) + MARKER + os.urandom(17),
        os.urandom(65_537) + MARKER,
        MARKER * 3 + os.urandom(300_001),
        os.urandom(2**20 - len(MARKER) - 3) + MARKER + b"end",
        b"tail of a split: " + MARKER[:half],
        MARKER[half:] + b" :head of a split",
    ]


@run_async
async def test_gateway_sees_only_ciphertext_while_messages_arrive_intact(
    site: Site,
) -> None:
    captured: list[tuple[GatewayRole, bytes | str]] = []
    async with running_gateway(site, tap=lambda *m: captured.append(m)) as gw:
        customer, technician = await site.pair([url(gw)], "s-plaintext")
        assert customer.comparison_code == technician.comparison_code
        assert customer.peer_participant == "tech-alice"
        assert technician.peer_participant == "customer-7"

        to_technician, to_customer = _messages(b"->t"), _messages(b"->c")
        for message in to_technician:
            await customer.send(message)
        for message in to_customer:
            await technician.send(message)
        received_by_technician = [await technician.receive() for _ in to_technician]
        received_by_customer = [await customer.receive() for _ in to_customer]

        closed = await customer.close("done")
        assert (closed.clean, closed.code) == (True, ErrorCode.NORMAL)
        assert (await technician.wait_closed()).clean

    assert received_by_technician == to_technician
    assert received_by_customer == to_customer
    assert MARKER in b"".join(received_by_customer[-2:])

    frames = [m for _, m in captured if isinstance(m, bytes)]
    plaintext = sum(map(len, to_technician + to_customer))
    assert sum(map(len, frames)) > plaintext  # everything went through the tap
    for frame in frames:
        assert MARKER not in frame
    assert MARKER not in b"".join(frames)
    for role in GatewayRole:
        stream = b"".join(m for r, m in captured if r is role and isinstance(m, bytes))
        assert MARKER not in stream
    tickets = [m for _, m in captured if isinstance(m, str)]
    assert len(tickets) == 2
    assert all(MARKER.decode() not in t for t in tickets)
