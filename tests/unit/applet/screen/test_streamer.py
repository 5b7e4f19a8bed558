"""The streamer end to end against a fake screen and a fake console."""

from __future__ import annotations

import asyncio
import json
import struct
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import av
import numpy as np
import pytest
from screen_fakes import FakeSource

from lifebuoy.applet.screen import (
    IN_FLIGHT,
    SHARP_AFTER_S,
    Monitor,
    Pointer,
    ScreenStreamer,
    ScreenUnavailable,
)
from lifebuoy.applet.screen import _wire as wire
from lifebuoy.applet.screen._encoder import START_LEVEL, EncoderError
from lifebuoy.applet.screen._pipeline import Look, Pipeline, Step

TWO = [Monitor(1, 0, 0, 320, 240, True), Monitor(2, 320, 40, 200, 160, False)]


class Console:
    """Collects messages; acknowledges pictures after ``delay`` seconds."""

    def __init__(self, delay: float | None = 0.0) -> None:
        self.delay = delay
        self.messages: list[bytes] = []
        self.streamer: ScreenStreamer | None = None
        self.unacked: set[int] = set()
        self.most_in_flight = 0

    async def send(self, message: bytes) -> None:
        assert len(message) <= wire.MAX_MESSAGE
        self.messages.append(message)
        if message[:1] == b"\x00" and message[1] in (wire.VIDEO, wire.SHARP):
            seq = struct.unpack(">I", message[2:6])[0]
            self.unacked.add(seq)
            self.most_in_flight = max(self.most_in_flight, len(self.unacked))
            if self.delay is not None:
                asyncio.get_running_loop().call_later(self.delay, self._ack, seq)

    def _ack(self, seq: int) -> None:
        self.unacked.discard(seq)
        assert self.streamer is not None
        self.streamer.ack(seq)

    def json(self, kind: str) -> list[dict[str, Any]]:
        found = [json.loads(m) for m in self.messages if m[:1] == b"{"]
        return [m for m in found if m["t"] == kind]

    def binary(self, kind: int) -> list[bytes]:
        return [m for m in self.messages if m[:1] == b"\x00" and m[1] == kind]


async def streaming(
    source: FakeSource,
    console: Console,
    body: Callable[[ScreenStreamer], Awaitable[None]],
    **options: Any,
) -> ScreenStreamer:
    streamer = ScreenStreamer(console.send, source=source, **options)
    console.streamer = streamer
    task = asyncio.create_task(streamer.run())
    try:
        await body(streamer)
    finally:
        started = time.monotonic()
        await streamer.stop()
        await asyncio.wait_for(task, 1.0)
        assert time.monotonic() - started < 0.5
    return streamer


async def until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def video_rects(message: bytes) -> list[tuple[int, int, int, int]]:
    (n,) = struct.unpack(">H", message[9:11])
    return [struct.unpack(">4H", message[11 + 8 * i : 19 + 8 * i]) for i in range(n)]


def video_data(message: bytes) -> bytes:
    return message[11 + 8 * len(video_rects(message)) :]


def test_stream_starts_with_monitors_format_and_a_key_frame() -> None:
    source, console = FakeSource(), Console()

    async def body(streamer: ScreenStreamer) -> None:
        await until(lambda: bool(console.binary(wire.VIDEO)))

    streamer = asyncio.run(streaming(source, console, body))
    first = [json.loads(m) for m in console.messages[:2]]
    assert first[0] == {
        "t": "screen.monitors",
        "monitors": [
            {"index": 1, "x": 0, "y": 0, "width": 320, "height": 240, "primary": True}
        ],
        "selected": 1,
    }
    assert first[1]["t"] == "screen.format"
    assert first[1]["codec"].startswith("avc1.")
    assert (first[1]["width"], first[1]["height"], first[1]["monitor"]) == (320, 240, 1)
    key = console.messages[2]
    assert key[:2] == b"\x00\x01"
    assert key[6] & 1
    assert struct.unpack(">I", key[2:6]) == (1,)
    assert video_rects(key) == [(0, 0, 320, 240)]
    assert source.closed
    assert streamer.stats["frames"] >= 1


def test_decoded_stream_matches_the_screen() -> None:
    source, console = FakeSource(), Console()

    async def body(streamer: ScreenStreamer) -> None:
        await until(lambda: len(console.binary(wire.VIDEO)) == 1)
        source.canvas[100:150, 20:200, :3] = (0, 0, 200)  # red bar (BGR)
        await until(lambda: len(console.binary(wire.VIDEO)) == 2)

    asyncio.run(streaming(source, console, body))
    frames = console.binary(wire.VIDEO)
    assert video_rects(frames[1]) == [(20, 100, 180, 50)]
    decoder = av.CodecContext.create("h264", "r")
    pictures = [
        p.to_ndarray(format="rgb24")
        for m in frames
        for p in decoder.decode(av.Packet(video_data(m)))
    ]
    shown = pictures[-1].astype(int)
    expected = source.canvas[:, :, 2::-1].astype(int)
    assert np.abs(shown - expected).mean() < 10
    assert np.abs(shown[110:140, 30:190] - (200, 0, 0)).max() < 30


def test_still_screen_sends_nothing_more() -> None:
    source, console = FakeSource(), Console()

    async def body(streamer: ScreenStreamer) -> None:
        await until(lambda: bool(console.binary(wire.SHARP)))
        sent = len(console.messages)
        await asyncio.sleep(0.6)
        assert len(console.messages) == sent

    asyncio.run(streaming(source, console, body))
    assert len(console.binary(wire.VIDEO)) == 1


def test_slow_console_never_has_more_than_three_in_flight() -> None:
    source, console = FakeSource(), Console(delay=0.15)

    async def body(streamer: ScreenStreamer) -> None:
        for i in range(80):  # constant motion
            source.canvas[:, :, 0] = i * 3
            await asyncio.sleep(0.01)

    streamer = asyncio.run(streaming(source, console, body, max_fps=100))
    assert console.most_in_flight == IN_FLIGHT
    # Pictures were never queued: far fewer sent than the 80 screens shown.
    assert streamer.stats["frames"] < 40
    # Small pictures waiting for a slow console: the link is not the limit,
    # so the quality stays (tests/unit/applet/screen/test_pacing.py has the
    # big-picture case).
    assert streamer.stats["level"] == START_LEVEL, streamer.stats


def test_sharp_refresh_after_stillness_and_only_once() -> None:
    source, console = FakeSource(), Console()
    times: dict[str, float] = {}

    async def body(streamer: ScreenStreamer) -> None:
        await until(lambda: bool(console.binary(wire.SHARP)))
        await asyncio.sleep(0.1)
        source.canvas[10:30, 100:111, :3] = 0
        await until(lambda: len(console.binary(wire.VIDEO)) == 2)
        times["painted"] = time.monotonic()
        await until(lambda: len(console.binary(wire.SHARP)) == 2)
        times["sharp"] = time.monotonic()
        await asyncio.sleep(SHARP_AFTER_S + 0.2)

    asyncio.run(streaming(source, console, body))
    sharp = console.binary(wire.SHARP)
    assert len(sharp) == 2
    assert (
        SHARP_AFTER_S - 0.05
        <= times["sharp"] - times["painted"]
        < (SHARP_AFTER_S + 0.5)
    )
    assert struct.unpack(">4H", sharp[1][8:16]) == (100, 10, 11, 20)
    (size,) = struct.unpack(">I", sharp[1][16:20])
    assert sharp[1][20:24] == b"RIFF"
    assert len(sharp[1]) == 20 + size


def test_select_and_to_screen_with_two_monitors() -> None:
    source, console = FakeSource(TWO), Console()

    async def body(streamer: ScreenStreamer) -> None:
        await until(lambda: bool(console.json("screen.format")))
        assert streamer.to_screen(5, 7) == (5, 7)
        assert streamer.to_screen(-3, 999) == (0, 239)
        with pytest.raises(ValueError, match="monitor"):
            streamer.select(3)
        streamer.select(2)
        await until(lambda: len(console.json("screen.format")) == 2)
        assert streamer.to_screen(0, 0) == (320, 40)
        assert streamer.to_screen(500, 500) == (519, 199)
        streamer.select(0)
        await until(lambda: len(console.json("screen.format")) == 3)
        assert streamer.to_screen(519, 199) == (519, 199)
        assert streamer.to_screen(600, 600) == (519, 239)

    streamer = asyncio.run(streaming(source, console, body))
    assert streamer.monitors() == TWO
    formats = console.json("screen.format")
    sizes = [(f["monitor"], f["width"], f["height"]) for f in formats]
    assert sizes == [(1, 320, 240), (2, 200, 160), (0, 520, 240)]
    keys = [m for m in console.binary(wire.VIDEO) if m[6] & 1]
    assert [video_rects(k) for k in keys] == [
        [(0, 0, 320, 240)],
        [(0, 0, 200, 160)],
        [(0, 0, 520, 240)],
    ]
    assert source.grabs[-1] == (0, 0, 520, 240)


def test_monitors_that_change_are_listed_again_and_a_gone_one_falls_back() -> None:
    source, console = FakeSource(TWO), Console()

    async def body(streamer: ScreenStreamer) -> None:
        await until(lambda: bool(console.json("screen.format")))
        streamer.select(2)
        await until(lambda: len(console.json("screen.format")) == 2)
        source._monitors = [Monitor(1, 0, 0, 640, 480, True)]  # one, larger
        source.canvas = np.zeros((480, 640, 4), np.uint8)
        source.relayout = True
        await until(lambda: len(console.json("screen.monitors")) == 2)
        await until(lambda: len(console.json("screen.format")) == 3)

    streamer = asyncio.run(streaming(source, console, body))
    listed = console.json("screen.monitors")[-1]
    assert [m["width"] for m in listed["monitors"]] == [640]
    assert listed["selected"] == 1  # monitor 2 is gone
    last = console.json("screen.format")[-1]
    assert (last["monitor"], last["width"], last["height"]) == (1, 640, 480)
    assert source.grabs[-1] == (0, 0, 640, 480)
    assert streamer.to_screen(639, 479) == (639, 479)


def test_nudge_captures_at_once() -> None:
    source, console = FakeSource(), Console()
    source.poll_interval = 10.0  # only the nudge can cause a capture

    async def body(streamer: ScreenStreamer) -> None:
        await until(lambda: bool(console.binary(wire.VIDEO)))
        await asyncio.sleep(0.1)
        source.canvas[0:5, 0:5] = 0
        started = time.monotonic()
        streamer.nudge()
        await until(lambda: len(console.binary(wire.VIDEO)) == 2)
        assert time.monotonic() - started < 0.2  # not the 10 s poll

    asyncio.run(streaming(source, console, body))


def test_cursor_shape_once_then_positions_on_change() -> None:
    source, console = FakeSource(TWO), Console()
    source.pointer_at = Pointer(10, 20, 77)

    async def body(streamer: ScreenStreamer) -> None:
        await until(lambda: bool(console.json("cursor")))
        source.pointer_at = Pointer(400, 50, 77)  # on monitor 2: hidden on 1
        await until(lambda: len(console.json("cursor")) == 2)
        await asyncio.sleep(0.2)

    asyncio.run(streaming(source, console, body))
    assert console.json("cursor") == [
        {"t": "cursor", "x": 10, "y": 20, "shape": 77, "visible": True},
        {"t": "cursor", "x": 400, "y": 50, "shape": 77, "visible": False},
    ]
    shapes = console.binary(wire.CURSOR_SHAPE)
    assert shapes == [wire.cursor_shape(77, 2, 2, (0, 1), bytes(range(16)))]


def test_capture_failure_ends_run_with_words() -> None:
    source, console = FakeSource(), Console()

    async def main() -> None:
        streamer = ScreenStreamer(console.send, source=source)
        console.streamer = streamer
        task = asyncio.create_task(streamer.run())
        await until(lambda: bool(console.binary(wire.VIDEO)))
        source.fail = OSError("display gone")
        source.canvas[0] = 0
        with pytest.raises(ScreenUnavailable, match="could not be captured"):
            await asyncio.wait_for(task, 2.0)

    asyncio.run(main())
    assert source.closed


def test_oversized_frame_goes_coarser_not_over_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Noise at the starting level takes 17 KB; pretend messages end at 12 KB.
    monkeypatch.setattr(wire, "MAX_MESSAGE", 12_000)
    source, console = FakeSource(), Console()
    rng = np.random.default_rng(5)
    source.canvas[...] = rng.integers(0, 256, source.canvas.shape, dtype=np.uint8)

    async def body(streamer: ScreenStreamer) -> None:
        await until(lambda: bool(console.binary(wire.SHARP)), timeout=10)

    streamer = asyncio.run(streaming(source, console, body))
    key = console.binary(wire.VIDEO)[0]
    assert key[6] & 1
    assert streamer.stats["level"] > START_LEVEL
    assert all(len(m) <= 12_000 for m in console.messages)
    assert len(console.binary(wire.SHARP)) > 1  # split


def test_refresh_sends_the_whole_picture_from_a_key_frame_once_a_second() -> None:
    source, console = FakeSource(), Console()

    async def body(streamer: ScreenStreamer) -> None:
        await until(lambda: bool(console.binary(wire.SHARP)))  # settled
        streamer.refresh()
        await until(lambda: len(console.binary(wire.VIDEO)) == 2)
        streamer.refresh()  # too soon: ignored
        await asyncio.sleep(0.3)

    asyncio.run(streaming(source, console, body))
    assert len(console.json("screen.format")) == 2
    first, again = console.binary(wire.VIDEO)
    assert again[6] & 1  # a key frame
    assert video_rects(again) == video_rects(first) == [(0, 0, 320, 240)]


def test_a_stream_cancelled_while_closing_still_closes_the_screen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The desk stops a stream with stop() and then cancels it if it has not
    # finished; a cancel that lands while the last picture is still being
    # encoded must not leave the X connections open.
    encode = Pipeline.encode
    started = threading.Event()

    def slow_encode(self: Pipeline, look: Look, level: int) -> Step:
        started.set()
        time.sleep(0.7)
        return encode(self, look, level)

    monkeypatch.setattr(Pipeline, "encode", slow_encode)
    source, console = FakeSource(), Console()

    async def main() -> None:
        streamer = ScreenStreamer(console.send, source=source)
        console.streamer = streamer
        task = asyncio.create_task(streamer.run())
        await until(started.is_set)
        await streamer.stop()  # gives up waiting after 0.45 s
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await until(lambda: source.closed)

    asyncio.run(main())


def test_unknown_codec_is_refused() -> None:
    with pytest.raises(ValueError, match="codec"):
        ScreenStreamer(Console().send, codec="mjpeg")


def test_no_sharp_refresh_while_big_motion_goes_on() -> None:
    # A small region changes once, then the right half keeps moving: the
    # small region is due for its refresh, but it waits until the motion stops.
    source, console = FakeSource(), Console()
    times: dict[str, float] = {}

    async def body(streamer: ScreenStreamer) -> None:
        await until(lambda: bool(console.binary(wire.SHARP)))  # the first picture
        source.canvas[10:20, 10:20, :3] = 0
        await asyncio.sleep(0.1)
        started = time.monotonic()
        while time.monotonic() - started < SHARP_AFTER_S + 0.6:
            source.canvas[:, 160:, 1] = int(time.monotonic() * 1000) % 256
            await asyncio.sleep(0.03)
        times["motion over"] = time.monotonic()
        times["sharp during"] = len(console.binary(wire.SHARP)) - 1
        await until(lambda: len(console.binary(wire.SHARP)) >= 2)

    asyncio.run(streaming(source, console, body, max_fps=60))
    assert times["sharp during"] == 0


class SlowSource(FakeSource):
    """A screen that takes ``GRAB_S`` to capture, like a busy X server."""

    GRAB_S = 0.03

    def __init__(self) -> None:
        super().__init__()
        self.spans: list[tuple[float, float]] = []

    def grab(self, x: int, y: int, width: int, height: int) -> np.ndarray:
        started = time.monotonic()
        time.sleep(self.GRAB_S)
        frame = super().grab(x, y, width, height)
        self.spans.append((started, time.monotonic()))
        return frame


def test_next_capture_runs_while_the_previous_one_is_encoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    encodes: list[tuple[float, float]] = []
    encode = Pipeline.encode

    def slow_encode(self: Pipeline, look: Look, level: int) -> Step:
        started = time.monotonic()
        time.sleep(0.03)
        step = encode(self, look, level)
        encodes.append((started, time.monotonic()))
        return step

    monkeypatch.setattr(Pipeline, "encode", slow_encode)
    source, console = SlowSource(), Console()

    async def body(streamer: ScreenStreamer) -> None:
        for i in range(40):  # constant motion
            source.canvas[:, :, 0] = i * 5
            await asyncio.sleep(0.01)
        await until(lambda: len(console.binary(wire.VIDEO)) >= 8)

    asyncio.run(streaming(source, console, body, max_fps=100))
    overlapping = [
        (grab, enc)
        for grab in source.spans
        for enc in encodes
        if grab[0] < enc[1] and enc[0] < grab[1]
    ]
    assert overlapping, (source.spans, encodes)
    # Pictures still go out in capture order and each decodes.
    frames = console.binary(wire.VIDEO)
    seqs = [struct.unpack(">I", m[2:6])[0] for m in frames]
    assert seqs == sorted(seqs)
    decoder = av.CodecContext.create("h264", "r")
    decoded = [p for m in frames for p in decoder.decode(av.Packet(video_data(m)))]
    assert len(decoded) == len(frames)


def test_encoder_failure_ends_run_with_words(monkeypatch: pytest.MonkeyPatch) -> None:
    source, console = FakeSource(), Console()

    def broken(self: Pipeline, look: Look, level: int) -> Step:
        raise EncoderError("libx264 gave up")

    async def main() -> None:
        streamer = ScreenStreamer(console.send, source=source)
        console.streamer = streamer
        task = asyncio.create_task(streamer.run())
        await until(lambda: bool(console.binary(wire.VIDEO)))
        monkeypatch.setattr(Pipeline, "encode", broken)
        source.canvas[0] = 0
        with pytest.raises(ScreenUnavailable, match="could not be encoded"):
            await asyncio.wait_for(task, 2.0)

    asyncio.run(main())
    assert source.closed
