from __future__ import annotations

import pytest

from lifebuoy.applet.screen._pacing import (
    BIG_PICTURE,
    CHANGE_EVERY_S,
    IN_FLIGHT,
    RAISE_AFTER_S,
    Pacer,
)


def test_pacer_refuses_a_fourth_picture_in_flight() -> None:
    pacer = Pacer()
    for seq in range(1, IN_FLIGHT + 1):
        pacer.sent(seq, 100, 0.0)
    assert not pacer.can_send()
    with pytest.raises(RuntimeError):
        pacer.sent(4, 100, 0.0)
    pacer.acked(2, 0.1)  # cumulative: 1 and 2
    assert pacer.in_flight == 1
    assert pacer.free == 2


def sent_big(pacer: Pacer, now: float, seq: int = 1) -> None:
    """A big picture went out and came back: the link could be the limit."""
    pacer.sent(seq, BIG_PICTURE * 2, now)
    pacer.acked(seq, now)


def test_waiting_lowers_quality_and_quiet_raises_it_back() -> None:
    pacer = Pacer(level=1)
    sent_big(pacer, 4.9)
    pacer.captured(5.0, 0.1)
    pacer.captured(5.1, 0.1)  # 20 % of the last second spent waiting
    assert pacer.level == 1
    pacer.captured(5.3, 0.2)
    assert pacer.level == 2

    # Further waits within CHANGE_EVERY_S change nothing (each costs a key frame).
    pacer.captured(5.3 + CHANGE_EVERY_S / 2, 0.5)
    assert pacer.level == 2

    # Free captures soon after the waits do not raise it yet.
    pacer.captured(6.0)
    assert pacer.level == 2
    pacer.captured(5.8 + RAISE_AFTER_S)
    assert pacer.level == 1
    pacer.captured(100.0)
    assert pacer.level == 1  # never finer than where it started


def test_link_rate_counts_acknowledged_bytes() -> None:
    pacer = Pacer()
    pacer.sent(1, 1000, 0.0)
    pacer.sent(2, 3000, 0.0)
    pacer.acked(2, 0.5)
    assert pacer.link_rate(1.0) == pytest.approx(2000.0)
    assert pacer.link_rate(10.0) == 0.0


def test_waiting_for_small_pictures_keeps_the_quality() -> None:
    # A console that is slow to draw small pictures: not the link's fault, and
    # a coarser level would only cost a key frame.
    pacer = Pacer(level=1)
    for seq in range(1, 20):
        pacer.sent(seq, 2_000, seq * 0.1)
        pacer.acked(seq, seq * 0.1)
        pacer.captured(seq * 0.1 + 0.05, 0.09)
    assert pacer.level == 1


def test_finer_level_waits_while_link_would_not_carry_it() -> None:
    pacer = Pacer(level=0)
    sent_big(pacer, 0.0, seq=99)
    pacer.captured(0.0, 0.5)
    assert pacer.level == 1
    # Recent frames use as much as the link carries: finer frames would not fit.
    now = RAISE_AFTER_S + 1
    for seq in range(1, 4):
        pacer.sent(seq, 10_000, now)
        pacer.acked(seq, now)
    pacer.captured(now)
    assert pacer.level == 1
