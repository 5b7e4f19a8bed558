"""The screen streamer: the asyncio side of the screen pipeline.

Theory of operation. ``run`` owns two worker threads: one for the capture
source (grabs, comparison, sharp refresh, pointer) and one for the encoder.
The event loop only decides *when* and sends. A capture hands its ``Look``
to the encoder thread and the loop goes on: the next capture may run while
the previous one is encoded (at most one waits behind the one encoding), and
pictures are sent in capture order. It decides from a handful of clocks:

* a capture is *wanted* when DAMAGE says the screen changed (the source's
  descriptor turned readable), when input was injected (``nudge``: now, and
  twice shortly after, since applications answer a click over a few frames),
  after ``select`` or a change of the monitors (they are listed again and
  the console told), or, without DAMAGE, every ``poll_interval`` (and at the
  full rate for a second after a change was seen);
* a wanted capture *happens* no sooner than ``1 / max_fps`` after the last
  one (a nudge skips this) and only when the pacer has a free slot, counting
  pictures still being encoded; when it has none, the pacer counts a wait,
  which is how quality adapts;
* a sharp refresh happens when the tracker says a region has been still long
  enough, again only with a free slot;
* the pointer is looked at 30 times a second while it moves and 10 times a
  second while it rests; a ``cursor`` message goes out only on change.

Nothing is ever queued: a capture that has to wait simply happens later and
shows the screen as it is then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from . import _wire as wire
from ._encoder import CODECS, DEFAULT_CODEC, START_LEVEL, EncoderError
from ._pacing import Pacer
from ._pipeline import Look, Pipeline, Region
from ._source import CaptureSource, Monitor, ScreenUnavailable

logger = logging.getLogger(__name__)

T = TypeVar("T")
Send = Callable[[bytes], Awaitable[None]]

NUDGE_AGAIN_S = (0.04, 0.12, 0.3)
"""After injected input, capture again at these delays."""
NUDGE_URGENT_S = 0.3
"""After injected input, a change the X server reports is captured at once,
not at the next frame-rate slot: it is most likely the answer to the input,
and the technician is waiting for it."""
BUSY_POLL_S = 1.0
"""Without DAMAGE, keep polling at full rate this long after a change."""
CURSOR_MOVING_S = 1 / 30
CURSOR_RESTING_S = 0.1
BUSY_SHARE = 0.25
"""A capture that changed this share of the picture or more is big motion."""
SHARP_HOLD_S = 0.5
"""No sharp refresh until big motion has stopped this long: while a quarter
of the screen or more keeps moving, its frames need the CPU and the link, and
the regions that went still in between are refreshed once it calms down."""
ENCODES_QUEUED = 2
"""Captures handed to the encoder and not yet sent: the one encoding and one
waiting. More would only show older pictures later."""
REFRESH_EVERY_S = 1.0
"""A console's requests for a whole new picture are served at most this
often: each costs a key frame (about 90 KB for a 1080p page of text)."""
MAX_WAIT_S = 1.0
"""Longest sleep: also catches DAMAGE events Xlib read without the fd."""


class ScreenStreamer:
    """Streams one screen over one channel until ``stop``."""

    def __init__(
        self,
        send: Send,
        *,
        codec: str = DEFAULT_CODEC,
        display: str | None = None,
        source: CaptureSource | None = None,
        max_fps: float = 30.0,
    ) -> None:
        if codec not in CODECS:
            raise ValueError(f"unknown codec {codec!r}; one of {CODECS}")
        self._send_message = send
        self._codec, self._display, self._source = codec, display, source
        self._interval = 1.0 / max_fps
        self._pacer = Pacer(START_LEVEL)
        self._monitors: list[Monitor] = []
        self._selected: int | None = None
        self._region: Region | None = None
        self._pipeline: Pipeline | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._running = False
        self._finished = asyncio.Event()
        self._encoding: asyncio.Task[None] | None = None
        """Encodes and sends the captures handed over, in order."""
        self._queued = 0
        self._fresh = False
        self._relist = False
        """The monitors changed: list them again before the next capture."""
        self._refreshed_at = float("-inf")
        self._failure: Exception | None = None
        self._seq = 0
        self._wanted = float("inf")
        self._urgent = False
        self._again: list[float] = []
        self._last_capture = float("-inf")
        self._gate = float("-inf")
        self._nudged_at = float("-inf")
        """Earliest next capture at the frame rate cap: advanced by whole
        intervals from the previous gate, so a capture that came a little late
        does not push every later one back (the rate stays at the cap)."""
        self._waiting = False
        self._blocked_at = 0.0
        self._last_change = float("-inf")
        self._last_motion = float("-inf")
        self._cursor_at = 0.0
        self._cursor_moved = float("-inf")
        self._cursor_last: tuple[int, int, int, bool] | None = None
        self._shapes_sent: set[int] = set()
        self._counts: dict[str, float] = dict.fromkeys(
            ("frames", "key_frames", "sharp", "bytes", "captures", "cursor"), 0.0
        )
        self._sends: list[float] = []
        self._timings: dict[str, float] = {}

    # -- the public controls (event loop thread) --

    def ack(self, seq: int) -> None:
        """The console drew picture ``seq`` (and so every earlier one)."""
        if 0 < seq <= self._seq:
            self._pacer.acked(seq, time.monotonic())
            self._wake.set()

    def select(self, monitor: int) -> None:
        """Show monitor ``monitor`` (1..n) or all of them (0)."""
        if self._monitors and not 0 <= monitor <= len(self._monitors):
            raise ValueError(f"no monitor {monitor}")
        if monitor < 0:
            raise ValueError(f"no monitor {monitor}")
        self._selected = monitor
        self._want(time.monotonic(), urgent=True)

    def refresh(self) -> None:
        """The console lost its picture: the next capture starts a new format
        and a key frame of the whole picture (at most every
        ``REFRESH_EVERY_S``; more often is ignored)."""
        now = time.monotonic()
        if now - self._refreshed_at < REFRESH_EVERY_S:
            logger.info("picture refresh asked again too soon: ignored")
            return
        self._refreshed_at, self._fresh = now, True
        self._want(now, urgent=True)

    def nudge(self) -> None:
        """Input was injected: look at the screen now and shortly after."""
        now = time.monotonic()
        self._nudged_at = now
        if self._source is None or self._source.fileno() is None:
            # Without DAMAGE, look now; with it, the X server says when the
            # application has drawn its answer, and a capture before that
            # would only keep the worker busy when the answer comes.
            self._want(now, urgent=True)
        self._again = [now + delay for delay in NUDGE_AGAIN_S]
        self._cursor_at = now

    def monitors(self) -> list[Monitor]:
        return list(self._monitors)

    def to_screen(self, x: int, y: int) -> tuple[int, int]:
        """Picture pixel → absolute screen coordinate, clamped into the picture."""
        region = self._region or self._region_for(self._selected or 0)
        x = min(max(x, 0), region.width - 1)
        y = min(max(y, 0), region.height - 1)
        return region.x + x, region.y + y

    @property
    def stats(self) -> dict[str, float]:
        """Counters for logs and benchmarks: frames, key_frames, sharp
        (messages), bytes (all sent), captures, cursor (messages), fps (video
        frames in the last second), level (quality, 0 finest), in_flight,
        link_rate (acknowledged bytes/s) and the last step's capture_ms,
        diff_ms, encode_ms."""
        now = time.monotonic()
        fps = sum(1 for t in self._sends if t > now - 1.0)
        return {
            **self._counts,
            "fps": float(fps),
            "level": float(self._pacer.level),
            "in_flight": float(self._pacer.in_flight),
            "link_rate": self._pacer.link_rate(now),
            **{f"{k}_ms": v * 1000 for k, v in self._timings.items()},
        }

    async def stop(self) -> None:
        """Stop streaming; returns once ``run`` has freed everything."""
        self._stopping = True
        self._wake.set()
        if self._running:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._finished.wait(), 0.45)

    # -- the loop --

    async def run(self) -> None:
        """Stream until ``stop``; ScreenUnavailable when the screen fails."""
        loop = asyncio.get_running_loop()
        self._running = True
        self._grabber = ThreadPoolExecutor(1, thread_name_prefix="lifebuoy-capture")
        self._coder = ThreadPoolExecutor(1, thread_name_prefix="lifebuoy-encode")
        reader: int | None = None
        try:
            await self._start()
            reader = self._watch(loop)
            while not self._stopping:
                await self._round()
                if self._failure is not None:
                    raise self._failure
        finally:
            if reader is not None:
                loop.remove_reader(reader)
            # Shielded: a cancelled run still frees the X connections and the
            # encoder once the picture being encoded is done.
            await asyncio.shield(self._close())

    async def _start(self) -> None:
        if self._source is None:
            from ._x11 import X11Source  # python-xlib only when used

            self._source = await self._job(self._grabber, X11Source, self._display)
        await self._list_monitors()
        self._want(time.monotonic(), urgent=True)
        logger.info(
            "screen streaming started (%s, %d monitors)",
            self._codec,
            len(self._monitors),
        )

    async def _list_monitors(self) -> None:
        """Read the monitors and tell the console; a selection that is gone
        falls back to the primary monitor (or the only one)."""
        source = self._source_now()
        self._monitors = await self._job(self._grabber, source.monitors)
        if not self._monitors:
            raise ScreenUnavailable("No monitor was found to show.")
        if self._selected is None or self._selected > len(self._monitors):
            primary = next(m for m in self._monitors if m.primary or m.index == 1)
            self._selected = primary.index if len(self._monitors) > 1 else 1
        await self._send_message(
            wire.json_message(
                "screen.monitors",
                monitors=[vars(m) for m in self._monitors],
                selected=self._selected,
            )
        )

    def _watch(self, loop: asyncio.AbstractEventLoop) -> int | None:
        assert self._source is not None
        fd = self._source.fileno()
        if fd is not None:
            loop.add_reader(fd, self._readable)
        return fd

    def _readable(self) -> None:
        if self._source is not None and self._source.poll_changed():
            now = time.monotonic()
            self._want(now, urgent=now - self._nudged_at < NUDGE_URGENT_S)

    def _check_layout(self) -> None:
        if self._source is not None and self._source.layout_changed():
            logger.info("the monitors changed: listing them again")
            self._relist = True
            self._want(time.monotonic(), urgent=True)

    def _want(self, now: float, *, urgent: bool = False) -> None:
        self._wanted = min(self._wanted, now)
        self._urgent = self._urgent or urgent
        self._wake.set()

    async def _round(self) -> None:
        now = time.monotonic()
        self._schedule(now)

        gate = now if self._urgent else self._gate
        free = self._pacer.free - self._queued
        if self._wanted <= now and gate <= now and self._queued < ENCODES_QUEUED:
            if free > 0:
                waited = now - self._blocked_at if self._waiting else 0.0
                self._pacer.captured(now, waited)
                self._waiting = False
                await self._capture(now)
                return
            if not self._waiting:  # until an acknowledgement frees a slot
                self._waiting, self._blocked_at = True, now
        assert self._pipeline is not None
        if self._sharp_due(now) and free > 0 and not self._queued:
            sharp = self._pipeline.sharp
            pictures = await self._job(self._grabber, sharp, now, free)
            await self._send_pictures(pictures)
        if self._cursor_at <= now:
            await self._cursor(now)
        await self._sleep(now, gate)

    def _schedule(self, now: float) -> None:
        """Fold the timers (nudge follow-ups, polling) into ``_wanted``."""
        assert self._source is not None
        if self._source.fileno() is not None:
            if self._source.poll_changed():
                self._want(now, urgent=now - self._nudged_at < NUDGE_URGENT_S)
        else:
            busy = now - self._last_change < BUSY_POLL_S
            every = self._interval if busy else self._source.poll_interval
            self._wanted = min(self._wanted, self._last_capture + every)
        self._check_layout()
        while self._again and self._again[0] <= now:
            self._again.pop(0)
            self._wanted = min(self._wanted, now)

    def _calm(self, now: float) -> bool:
        return now - self._last_motion >= SHARP_HOLD_S

    def _sharp_due(self, now: float) -> bool:
        assert self._pipeline is not None
        return self._pipeline.next_sharp() <= now and self._calm(now)

    async def _sleep(self, now: float, gate: float) -> None:
        assert self._pipeline is not None
        sharp = max(self._pipeline.next_sharp(), self._last_motion + SHARP_HOLD_S)
        wake = [now + MAX_WAIT_S, self._cursor_at, sharp]
        wanted = self._wanted < float("inf") and not self._waiting
        if wanted and self._queued < ENCODES_QUEUED:
            # Wake when the capture is due, even without a free slot, so the
            # wait is noticed; then sleep until an acknowledgement. (A full
            # encoder queue wakes the loop when it empties.)
            wake.append(max(self._wanted, gate))
        wake += self._again[:1]
        timeout = max(0.0, min(wake) - time.monotonic())
        if timeout > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
        self._wake.clear()

    async def _capture(self, now: float) -> None:
        self._wanted, self._urgent = float("inf"), False
        self._last_capture = now
        in_step = self._gate + self._interval
        half = self._interval / 2
        self._gate = in_step if in_step >= now + half else now + self._interval
        if self._relist:
            self._relist = False
            await self._list_monitors()
        region = self._region_for(self._selected or 0)
        if self._pipeline is None:
            self._pipeline = Pipeline(self._source_now(), self._codec, region)
        elif region != self._pipeline.region or self._fresh:
            await self._drain()
            await self._job(self._coder, self._pipeline.show, region)
        self._fresh = False
        self._region = region

        look = await self._job(self._grabber, self._pipeline.look, now)
        self._counts["captures"] += 1
        self._timings.update(look.timings)
        if not look.rects:
            return
        self._last_change = now
        if look.share >= BUSY_SHARE:
            self._last_motion = now
        self._queued += 1
        self._encoding = asyncio.create_task(self._encode(look, self._encoding))

    async def _encode(self, look: Look, previous: asyncio.Task[None] | None) -> None:
        """Encode ``look`` once ``previous`` is sent, then send it."""
        try:
            if previous is not None:
                await previous
            if self._failure is not None or self._stopping:
                return
            assert self._pipeline is not None
            encode = self._pipeline.encode
            step = await self._job(self._coder, encode, look, self._pacer.level)
            self._timings.update(step.timings)
            if step.level is not None:
                self._pacer.coarser(time.monotonic())
            if step.format is not None:
                await self._send_message(step.format)
                self._count(len(step.format))
            await self._send_pictures(step.pictures)
        except Exception as exc:  # run() raises it in the loop's task
            self._failure = exc
        finally:
            self._queued -= 1
            self._wake.set()

    async def _drain(self) -> None:
        """Wait until every capture handed to the encoder is sent."""
        if self._encoding is not None:
            await self._encoding

    async def _send_pictures(self, pictures: list[wire.Picture]) -> None:
        for picture in pictures:
            now = time.monotonic()
            self._seq += 1
            message = picture.encode(self._seq, now)
            assert len(message) <= wire.MAX_MESSAGE
            self._pacer.sent(self._seq, len(message), now)
            if picture.kind == wire.VIDEO:
                self._counts["frames"] += 1
                self._counts["key_frames"] += picture.key
                self._sends = [t for t in self._sends if t > now - 1.0] + [now]
            else:
                self._counts["sharp"] += 1
            await self._send_message(message)
            self._count(len(message))
            logger.debug(
                "picture %d kind %d, %d bytes", self._seq, picture.kind, len(message)
            )

    async def _cursor(self, now: float) -> None:
        source = self._source_now()
        pointer = await self._job(self._grabber, source.pointer)
        moving = now - self._cursor_moved < 1.0
        self._cursor_at = now + (CURSOR_MOVING_S if moving else CURSOR_RESTING_S)
        if pointer is None or self._region is None:
            return
        r = self._region
        x, y = pointer.x - r.x, pointer.y - r.y
        visible = 0 <= x < r.width and 0 <= y < r.height
        state = (x, y, pointer.shape & 0xFFFFFFFF, visible)
        if state == self._cursor_last:
            return
        self._cursor_moved = now
        shape = state[2]
        if shape not in self._shapes_sent:
            image = await self._job(self._grabber, source.cursor_image, pointer.shape)
            if image is not None:
                hot = (image.hot_x, image.hot_y)
                message = wire.cursor_shape(
                    shape, image.width, image.height, hot, image.rgba
                )
                await self._send_message(message)
                self._count(len(message))
                self._shapes_sent.add(shape)
        self._cursor_last = state
        message = wire.json_message("cursor", x=x, y=y, shape=shape, visible=visible)
        await self._send_message(message)
        self._count(len(message))
        self._counts["cursor"] += 1

    def _count(self, size: int) -> None:
        self._counts["bytes"] += size

    def _region_for(self, monitor: int) -> Region:
        if not self._monitors:
            return Region(0, 0, 0, 1, 1)
        if monitor == 0:
            x0 = min(m.x for m in self._monitors)
            y0 = min(m.y for m in self._monitors)
            x1 = max(m.x + m.width for m in self._monitors)
            y1 = max(m.y + m.height for m in self._monitors)
            return Region(0, x0, y0, x1 - x0, y1 - y0)
        m = self._monitors[monitor - 1]
        return Region(monitor, m.x, m.y, m.width, m.height)

    def _source_now(self) -> CaptureSource:
        assert self._source is not None
        return self._source

    async def _job(
        self, worker: ThreadPoolExecutor, function: Callable[..., T], *args: Any
    ) -> T:
        """Run ``function`` in a worker thread; failures become words."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(worker, function, *args)
        except ScreenUnavailable:
            raise
        except EncoderError as exc:
            logger.exception("screen encoder failed")
            raise ScreenUnavailable("The screen picture could not be encoded.") from exc
        except Exception as exc:
            logger.exception("screen capture failed")
            raise ScreenUnavailable("The screen could not be captured.") from exc

    async def _close(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await self._drain()  # stopping: it sends nothing more
            if self._pipeline is not None:
                await loop.run_in_executor(self._coder, self._pipeline.close)
            if self._source is not None:
                await loop.run_in_executor(self._grabber, self._source.close)
        except Exception:
            logger.exception("closing the screen capture failed")
        finally:
            self._grabber.shutdown(wait=False)
            self._coder.shutdown(wait=False)
            self._running = False
            self._finished.set()
            figures = ", ".join(f"{k} {v:.0f}" for k, v in self.stats.items())
            logger.info("screen streaming stopped: %s", figures)
