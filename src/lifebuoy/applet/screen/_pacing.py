"""Pacing pictures by acknowledgement, and choosing the quality level.

Theory of operation. Every picture message (video or sharp) has a ``seq``;
the console acknowledges each one once it is drawn. At most ``IN_FLIGHT``
may be unacknowledged: when the link is slow, acknowledgements come late,
captures simply wait, and the next capture shows the newest screen, so no
queue ever builds up anywhere.

Quality follows from waiting. When captures that were due had to wait for
acknowledgements for a good share of the last second, the link is the
bottleneck: the level goes one step coarser (smaller frames, more of them per
second).
Waiting alone is not enough: on a busy machine a console that decodes slowly
makes small frames wait too, and a coarser level would only cost a key frame
and blur the picture. So the level goes coarser only while the pictures
themselves are big (``BIG_PICTURE`` on average over the last second), which
is when their bytes can be what holds the link up.
When nothing has waited for a while, it goes one step finer again, but only
if the measured link rate (bytes acknowledged per second) would carry the
recent frames at the finer level, so it does not bounce straight back. (The
pipeline applies a finer level only with a large change, when a key frame
costs little more than the frame it replaces.)

This class does no I/O and reads no clock: times are passed in.
"""

from __future__ import annotations

from collections import deque

from ._encoder import LEVELS, START_LEVEL

IN_FLIGHT = 3
WAIT_WINDOW_S = 1.0
LOWER_WHEN_BLOCKED = 0.4
"""Go coarser when captures spent this share of the last second waiting."""
RAISE_AFTER_S = 3.0
"""Seconds without any wait before trying a finer level."""
CHANGE_EVERY_S = 1.0
"""At most one level change per this many seconds (each costs a key frame)."""
RATE_WINDOW_S = 2.0
BIG_PICTURE = 24_000
"""Average picture bytes from which waiting counts as the link's doing."""
FINER_COST = 1.5
"""How many times bigger frames get one level finer (measured roughly)."""


class Pacer:
    """In-flight accounting, link rate estimate and quality level."""

    def __init__(self, level: int = START_LEVEL) -> None:
        self.level = level
        self.base_level = level
        self._sent: dict[int, tuple[int, float]] = {}
        self._acked: deque[tuple[float, int]] = deque()
        self._waits: deque[tuple[float, float]] = deque()
        self._last_wait = float("-inf")
        self._last_change = float("-inf")
        self._recent: deque[tuple[float, int]] = deque()

    @property
    def in_flight(self) -> int:
        return len(self._sent)

    def can_send(self, count: int = 1) -> bool:
        return self.in_flight + count <= IN_FLIGHT

    @property
    def free(self) -> int:
        return IN_FLIGHT - self.in_flight

    def sent(self, seq: int, size: int, now: float) -> None:
        """Picture ``seq`` of ``size`` bytes went out."""
        if not self.can_send():
            raise RuntimeError("more pictures in flight than allowed")
        self._sent[seq] = (size, now)
        self._recent.append((now, size))
        self._trim(self._recent, now)

    def acked(self, seq: int, now: float) -> None:
        """The console drew ``seq``; it draws in order, so earlier ones too."""
        for done in [s for s in self._sent if s <= seq]:
            size, _ = self._sent.pop(done)
            self._acked.append((now, size))
        self._trim(self._acked, now)

    def captured(self, now: float, waited: float = 0.0) -> None:
        """A capture happens; it was due ``waited`` seconds ago but every
        slot was taken until now."""
        self._waits.append((now, waited))
        while self._waits and self._waits[0][0] < now - WAIT_WINDOW_S:
            self._waits.popleft()
        if waited > 0:
            self._last_wait = now
            blocked = sum(w for _, w in self._waits) / WAIT_WINDOW_S
            coarser = self.level < LEVELS - 1 and self._may_change(now)
            if blocked >= LOWER_WHEN_BLOCKED and coarser and self._big(now):
                self._change(self.level + 1, now)
            return
        quiet = now - self._last_wait >= RAISE_AFTER_S
        finer = self.level > self.base_level and self._may_change(now)
        if quiet and finer and self._finer_fits(now):
            self._change(self.level - 1, now)

    def coarser(self, now: float) -> None:
        """A frame came out too big for one message: go coarser at once."""
        if self.level < LEVELS - 1:
            self._change(self.level + 1, now)

    def link_rate(self, now: float) -> float:
        """Bytes acknowledged per second over the last few seconds."""
        self._trim(self._acked, now)
        return sum(size for _, size in self._acked) / RATE_WINDOW_S

    def _finer_fits(self, now: float) -> bool:
        self._trim(self._recent, now)
        if not self._acked:
            return True
        wanted = sum(size for _, size in self._recent) / RATE_WINDOW_S * FINER_COST
        return wanted <= self.link_rate(now)

    def _big(self, now: float) -> bool:
        self._trim(self._recent, now)
        sizes = [size for at, size in self._recent if at >= now - WAIT_WINDOW_S]
        return bool(sizes) and sum(sizes) / len(sizes) >= BIG_PICTURE

    def _may_change(self, now: float) -> bool:
        return now - self._last_change >= CHANGE_EVERY_S

    def _change(self, level: int, now: float) -> None:
        self.level = level
        self._last_change = now

    @staticmethod
    def _trim(window: deque[tuple[float, int]], now: float) -> None:
        while window and window[0][0] < now - RATE_WINDOW_S:
            window.popleft()
