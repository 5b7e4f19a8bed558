"""The synchronous heart of the streamer: capture, compare, encode.

A ``Pipeline`` owns the last capture, the encoder and the sharp tracker.
Each call does one step and returns the messages to send; the caller
numbers and sends them. A step is two halves that may run in two threads,
one after the other for the same capture but overlapping across captures:
``look`` (capture, compare, remember; it owns the frame kept and the sharp
tracker, so ``sharp`` belongs with it) and ``encode`` (it owns the
encoder). While frame n is encoded, frame n+1 is captured: on a busy screen
a capture mostly waits for the X server and an encode for the CPU, so doing
them side by side raises the frame rate at the same CPU per frame. The
pipeline does not know about time or the channel: ``now`` is passed in, and
how many picture messages it may produce (free in-flight slots) too.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from . import _sharp as sharp
from . import _wire as wire
from ._encoder import LEVELS, EncoderError, VideoEncoder
from ._source import CaptureSource
from ._tiles import Frame, Rect, changed_rects

logger = logging.getLogger(__name__)

FINER_WHEN_CHANGED = 0.4
"""A finer quality level (a new encoder, so a key frame) is taken only with a
capture that changed at least this share of the picture: the key frame then
costs about what the changed frame would have anyway."""


@dataclass(frozen=True)
class Region:
    """The part of the screen shown as the picture."""

    monitor: int
    """0: all monitors, 1..n: one."""
    x: int
    y: int
    width: int
    height: int


@dataclass
class Look:
    """One capture and what changed in it, waiting to be encoded."""

    frame: Frame
    rects: list[Rect]
    at: float
    new_format: bool
    """The first capture of this region: the encoder's format goes first."""
    share: float = 0.0
    """The part of the picture that changed (0 to 1)."""
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class Step:
    """What one pipeline step produced."""

    format: bytes | None = None
    """A ``screen.format`` message to send before the pictures."""
    pictures: list[wire.Picture] = field(default_factory=list)
    level: int | None = None
    """The quality level had to go coarser to this (a frame was too big)."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds spent encoding (``encode``)."""


class Pipeline:
    """Capture → changed rectangles → video frame; and sharp refresh."""

    def __init__(self, source: CaptureSource, codec: str, region: Region) -> None:
        self.source, self.codec = source, codec
        self.region = region
        self._encoder: VideoEncoder | None = None
        self._previous: Frame | None = None
        self._tracker = sharp.SharpTracker(region.width, region.height)

    def show(self, region: Region) -> None:
        """Show another region: the next capture starts a new format."""
        self.region = region
        self.close()
        self._previous = None
        self._tracker = sharp.SharpTracker(region.width, region.height)

    def look(self, now: float) -> Look:
        """Capture and find what changed; the tracker and the frame kept for
        comparison and sharp refresh move on at once, so the next ``look``
        may run while this one is still being encoded."""
        r = self.region
        started = time.perf_counter()
        frame = self.source.grab(r.x, r.y, r.width, r.height)
        grabbed = time.perf_counter()
        previous = self._previous
        if previous is None:
            rects = [Rect(0, 0, r.width, r.height)]
        else:
            rects = changed_rects(frame, previous)
        timings = {"capture": grabbed - started, "diff": time.perf_counter() - grabbed}
        look = Look(frame, rects, now, new_format=previous is None, timings=timings)
        if rects:
            look.share = sum(rect.area for rect in rects) / (r.width * r.height)
            self._tracker.painted(rects, now)
            self._previous = frame
        return look

    def encode(self, look: Look, level: int) -> Step:
        """The video picture for what ``look`` saw changed (none if nothing)."""
        step = Step()
        if not look.rects:
            return step
        if self._encoder is not None and level < self._encoder.level:
            level = self._encoder.level if look.share < FINER_WHEN_CHANGED else level
        step.pictures.append(self._video(look.frame, look.rects, level, look.at, step))
        if look.new_format:
            step.format = self._format()
        return step

    def sharp(self, now: float, slots: int) -> list[wire.Picture]:
        """Sharp pictures due now, from the last capture."""
        due = self._tracker.due(now)
        if not due or self._previous is None:
            return []
        pictures, covered = sharp.messages(self._previous, due, slots)
        self._tracker.sent(covered)
        return pictures

    def next_sharp(self) -> float:
        """When the next sharp refresh is due (``inf``: none)."""
        return self._tracker.next_due()

    def close(self) -> None:
        if self._encoder is not None:
            self._encoder.close()
            self._encoder = None

    def _video(
        self, frame: Frame, rects: list[Rect], level: int, now: float, step: Step
    ) -> wire.Picture:
        while True:
            encoder = self._encoder_at(level)
            started = time.perf_counter()
            top = min(rect.y for rect in rects)
            data, key = encoder.encode(frame, (top, max(r.y + r.h for r in rects)))
            step.timings["encode"] = time.perf_counter() - started
            picture = wire.video(rects, data, key=key, at=now)
            if picture.size <= wire.MAX_MESSAGE:
                return picture
            # Too big for one message: coarser, from a key frame.
            if level >= LEVELS - 1:
                raise EncoderError("a video frame does not fit one message")
            logger.info("frame of %d bytes too big at level %d", len(data), level)
            level = step.level = level + 1
            self.close()

    def _encoder_at(self, level: int) -> VideoEncoder:
        if self._encoder is None or self._encoder.level != level:
            self.close()
            r = self.region
            self._encoder = VideoEncoder(self.codec, r.width, r.height, level)
            logger.debug(
                "encoder %s %dx%d level %d", self.codec, r.width, r.height, level
            )
        return self._encoder

    def _format(self) -> bytes:
        assert self._encoder is not None
        return wire.json_message(
            "screen.format",
            codec=self._encoder.codec_string,
            width=self.region.width,
            height=self.region.height,
            monitor=self.region.monitor,
        )
