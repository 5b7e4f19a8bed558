"""Screen codec benchmark: H.264, VP8 and VP9 through PyAV on the workload.

Run from the repository root (about 3.5 minutes; ``--quick``: one setting a
codec and 2 s of motion, about 2 minutes)::

    nice .venv/bin/python bench/codec_compare.py [--quick]

It starts its own Xvfb and applications (``bench/workload``), records the
typical support minute and a full-screen motion segment with mss at up to
30 captures a second, keeping only frames that differ from the previous one,
then feeds the same frames to every codec setting: BGRA to yuv420p through
PyAV, encoded with realtime settings and no periodic key frames.

Per setting (``<codec>_<setting>_...``): ``encode_p50_ms``/``encode_p99_ms``
over the minute's frames, ``motion_encode_p50_ms``/``..._p99_ms``,
``motion_fps`` (1000 / motion p50), ``cpu_s`` (process CPU in the encoder for
minute and motion), ``minute_bytes`` with the split per phase,
``motion_bytes_per_s``, and ``text_ssim``: SSIM (grey, 8x8 windows) of the
text regions between the decoded and the captured frame at the end of the
still phase. Baselines: capture and change detection cost, raw BGRA bytes,
colour conversion by three routes, and the lossless WebP bytes of the text
regions. The last line printed is one JSON object; a table goes to stderr.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import cast

import av
import mss
import numpy as np
import numpy.typing as npt
from av.video.frame import VideoFrame
from PIL import Image

import workload

Pixels = npt.NDArray[np.uint8]
MAX_FPS = 30
FRAME_BYTES = workload.WIDTH * workload.HEIGHT * 4


@dataclass(frozen=True)
class Setting:
    name: str
    """Key prefix in the results, e.g. ``h264_veryfast_crf28``."""
    codec: str
    """PyAV encoder name."""
    options: dict[str, str]
    bit_rate: int = 0


def _x264(preset: str, crf: int, *, umh: bool = False) -> Setting:
    options = {"preset": preset, "tune": "zerolatency", "crf": str(crf)}
    options["x264-params"] = "keyint=infinite:scenecut=0"
    if umh:  # what the applet uses: finds scrolled text 64 px away
        options["x264-params"] += ":me=umh:merange=64"
    name = f"h264_{preset}_crf{crf}" + ("_umh" if umh else "")
    return Setting(name, "libx264", options)


def _vp8(cpu_used: int, mbps: int) -> Setting:
    options = {"deadline": "realtime", "cpu-used": str(cpu_used)}
    options["lag-in-frames"] = "0"
    return Setting(f"vp8_rt{cpu_used}_{mbps}mbps", "libvpx", options, mbps * 10**6)


def _vp9(cpu_used: int, crf: int) -> Setting:
    options = {"deadline": "realtime", "cpu-used": str(cpu_used), "row-mt": "1"}
    options |= {"lag-in-frames": "0", "crf": str(crf), "tune-content": "screen"}
    return Setting(f"vp9_rt{cpu_used}_crf{crf}", "libvpx-vp9", options, 8 * 10**6)


SETTINGS = [
    _x264("ultrafast", 28),
    _x264("veryfast", 23),
    _x264("veryfast", 28),
    _x264("veryfast", 32),
    _x264("superfast", 38, umh=True),
    _vp8(8, 2),
    _vp8(12, 2),
    _vp9(8, 32),
]
QUICK = ["h264_veryfast_crf28", "vp8_rt8_2mbps", "vp9_rt8_crf32"]


# -- recording -------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One captured frame, stored as the rectangle that differs from the
    previous one (so a minute of typing fits in memory)."""

    at: float
    y: int
    x: int
    pixels: Pixels


@dataclass
class Recording:
    changes: list[Change] = field(default_factory=list)
    grab_ms: list[float] = field(default_factory=list)
    diff_ms: list[float] = field(default_factory=list)
    phases: list[workload.Phase] = field(default_factory=list)


class Recorder(threading.Thread):
    """Captures the screen at up to ``MAX_FPS`` until stopped."""

    def __init__(self, display: str) -> None:
        super().__init__(daemon=True)
        self.display = display
        self.recording = Recording()
        self.stopping = threading.Event()

    def run(self) -> None:
        with mss.MSS(display=self.display) as screen:
            monitor = screen.monitors[1]
            previous = np.zeros((workload.HEIGHT, workload.WIDTH, 4), np.uint8)
            tick = time.monotonic()
            while not self.stopping.is_set():
                started = time.perf_counter()
                frame = np.asarray(screen.grab(monitor))
                grabbed = time.perf_counter()
                self._keep(frame, previous, time.monotonic())
                self.recording.grab_ms.append((grabbed - started) * 1000)
                self.recording.diff_ms.append((time.perf_counter() - grabbed) * 1000)
                previous = frame

                tick = max(tick + 1 / MAX_FPS, time.monotonic())
                time.sleep(max(0.0, tick - time.monotonic()))

    def _keep(self, frame: Pixels, previous: Pixels, at: float) -> None:
        differs = frame.view(np.uint32)[..., 0] != previous.view(np.uint32)[..., 0]
        rows = np.flatnonzero(differs.any(axis=1))
        if rows.size:
            columns = np.flatnonzero(differs[rows[0] : rows[-1] + 1].any(axis=0))
            y0, y1 = int(rows[0]), int(rows[-1]) + 1
            x0, x1 = int(columns[0]), int(columns[-1]) + 1
            pixels = frame[y0:y1, x0:x1].copy()
            self.recording.changes.append(Change(at, y0, x0, pixels))


def record(display: str, motion_s: float) -> tuple[Recording, Recording]:
    """Record the minute, then the motion segment."""
    plays: list[Callable[[], list[workload.Phase]]] = [
        lambda: workload.run_minute(display),
        lambda: workload.run_motion(display, motion_s),
    ]
    results = []
    for play in plays:
        recorder = Recorder(display)
        recorder.start()
        phases = play()
        recorder.stopping.set()
        recorder.join()
        recorder.recording.phases = phases
        results.append(recorder.recording)
    return results[0], results[1]


@dataclass(frozen=True)
class Stream:
    """The frames one codec sees: the screen at the first phase's start, then
    every change until the last phase's end; ``phase[i]`` names frame i's."""

    times: list[float]
    phase: list[str]
    changes: list[Change]
    start_index: int


def stream_of(recording: Recording) -> Stream:
    start, end = recording.phases[0].start, recording.phases[-1].end
    before = [i for i, c in enumerate(recording.changes) if c.at <= start]
    first = before[-1] if before else 0
    times, phases = [], []
    for change in recording.changes[first:]:
        if change.at > end:
            break
        at = max(change.at, start)
        times.append(at)
        phases.append(next(p.name for p in recording.phases if at <= p.end))
    return Stream(times, phases, recording.changes, first)


def replay(stream: Stream) -> Iterator[Pixels]:
    """The full frames of ``stream``, in one reused buffer."""
    screen = np.zeros((workload.HEIGHT, workload.WIDTH, 4), np.uint8)
    for i, change in enumerate(stream.changes):
        height, width = change.pixels.shape[:2]
        screen[change.y : change.y + height, change.x : change.x + width] = (
            change.pixels
        )
        if i >= stream.start_index + len(stream.times):
            break
        if i >= stream.start_index:
            yield screen


# -- colour conversion -----------------------------------------------------


class Converter:
    """BGRA to yuv420p the cheapest way found: copy into one reused BGRA
    ``VideoFrame`` (``planes[0].update``), then ``reformat`` (libswscale)."""

    def __init__(self) -> None:
        self._source = VideoFrame(workload.WIDTH, workload.HEIGHT, "bgra")

    def convert(self, pixels: Pixels, threads: int = 0) -> VideoFrame:
        # Plane.update takes any buffer; its stub says bytes.
        self._source.planes[0].update(cast("bytes", pixels))
        return self._source.reformat(format="yuv420p", threads=threads)


def conversion_costs(stream: Stream, count: int = 20) -> dict[str, float]:
    """Median ms of three routes from a BGRA array to a yuv420p frame."""
    converter = Converter()
    routes: dict[str, Callable[[Pixels], object]] = {
        "convert_from_ndarray_ms": lambda p: VideoFrame.from_ndarray(
            p, format="bgra"
        ).reformat(format="yuv420p"),
        "convert_update_reformat_ms": lambda p: converter.convert(p),
        "convert_update_reformat_1thread_ms": lambda p: converter.convert(p, 1),
    }
    times: dict[str, list[float]] = {name: [] for name in routes}
    for i, pixels in enumerate(replay(stream)):
        if i == count:
            break
        for name, route in routes.items():
            started = time.perf_counter()
            route(pixels)
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(ms) for name, ms in times.items()}


# -- encoding --------------------------------------------------------------


@dataclass
class Encoded:
    encode_ms: list[float] = field(default_factory=list)
    cpu_s: float = 0.0
    bytes_by_phase: dict[str, int] = field(default_factory=dict)
    decoded: VideoFrame | None = None


def encode(setting: Setting, stream: Stream, decode_index: int = -1) -> Encoded:
    """Encode every frame of ``stream``; decode up to frame ``decode_index``
    and keep that decoded picture."""
    context = av.CodecContext.create(setting.codec, "w")
    assert isinstance(context, av.VideoCodecContext)
    context.width, context.height = workload.WIDTH, workload.HEIGHT
    context.pix_fmt = "yuv420p"
    context.time_base = Fraction(1, 1000)
    context.framerate = Fraction(MAX_FPS)
    context.gop_size = 1_000_000
    context.thread_count = 2
    if setting.bit_rate:
        context.bit_rate = setting.bit_rate
    context.options = dict(setting.options)
    context.open()
    decoder = av.CodecContext.create(setting.codec.replace("libx264", "h264"), "r")
    assert isinstance(decoder, av.VideoCodecContext)

    result = Encoded()
    converter = Converter()
    decoded = 0
    for i, pixels in enumerate(replay(stream)):
        frame = converter.convert(pixels)
        frame.pts = round((stream.times[i] - stream.times[0]) * 1000)
        frame.time_base = context.time_base
        cpu, started = time.process_time(), time.perf_counter()
        packets = context.encode(frame)
        result.encode_ms.append((time.perf_counter() - started) * 1000)
        result.cpu_s += time.process_time() - cpu

        if i == len(stream.times) - 1:
            packets += context.encode(None)
        phase = stream.phase[i]
        size = sum(packet.size for packet in packets)
        result.bytes_by_phase[phase] = result.bytes_by_phase.get(phase, 0) + size
        for packet in packets if decoded <= decode_index else []:
            for picture in decoder.decode(packet):
                if decoded == decode_index:
                    result.decoded = picture
                decoded += 1
    return result


# -- quality ---------------------------------------------------------------


def grey(bgra: Pixels) -> npt.NDArray[np.float64]:
    pixels = bgra.astype(np.float64)
    return 0.114 * pixels[..., 0] + 0.587 * pixels[..., 1] + 0.299 * pixels[..., 2]


def text_ssim(decoded: VideoFrame, captured: Pixels) -> float:
    """SSIM of the text regions, weighted by area."""
    shown = grey(np.asarray(decoded.to_ndarray(format="bgra"), np.uint8))
    original = grey(captured)
    total, weight = 0.0, 0
    for r in workload.text_regions():
        box = (slice(r.y, r.y + r.height), slice(r.x, r.x + r.width))
        total += workload.ssim(shown[box], original[box]) * r.width * r.height
        weight += r.width * r.height
    return total / weight


def webp_text(captured: Pixels) -> tuple[int, float]:
    """Bytes and ms of the text regions as lossless WebP (method 0)."""
    size, started = 0, time.perf_counter()
    for r in workload.text_regions():
        region = captured[r.y : r.y + r.height, r.x : r.x + r.width, 2::-1]
        buffer = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(region)).save(
            buffer, "WEBP", lossless=True, method=0
        )
        size += buffer.tell()
    return size, (time.perf_counter() - started) * 1000


# -- the run ---------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def still_end_index(stream: Stream) -> int:
    return max(i for i, phase in enumerate(stream.phase) if phase == "still")


def frame_at(stream: Stream, index: int) -> Pixels:
    for i, pixels in enumerate(replay(stream)):
        if i == index:
            return pixels.copy()
    raise IndexError(index)


def baselines(minute: Recording, motion: Recording) -> dict[str, float]:
    minute_stream, motion_stream = stream_of(minute), stream_of(motion)
    motion_s = motion.phases[0].end - motion.phases[0].start
    changed = minute.changes[minute_stream.start_index :][: len(minute_stream.times)]
    return {
        "capture_p50_ms": percentile(minute.grab_ms + motion.grab_ms, 50),
        "change_detect_p50_ms": percentile(minute.diff_ms + motion.diff_ms, 50),
        "minute_frames": len(minute_stream.times),
        "motion_frames": len(motion_stream.times),
        "motion_capture_fps": len(motion_stream.times) / motion_s,
        "raw_minute_bytes": len(minute_stream.times) * FRAME_BYTES,
        "raw_minute_changed_bytes": sum(c.pixels.nbytes for c in changed),
        "raw_motion_bytes_per_s": len(motion_stream.times) * FRAME_BYTES / motion_s,
    }


def measure(setting: Setting, minute: Stream, motion: Stream, motion_s: float,
            still: Pixels) -> dict[str, float]:  # fmt: skip
    key = setting.name
    index = still_end_index(minute)
    on_minute = encode(setting, minute, index)
    on_motion = encode(setting, motion)
    motion_p50 = percentile(on_motion.encode_ms, 50)
    figures = {
        f"{key}_encode_p50_ms": percentile(on_minute.encode_ms, 50),
        f"{key}_encode_p99_ms": percentile(on_minute.encode_ms, 99),
        f"{key}_motion_encode_p50_ms": motion_p50,
        f"{key}_motion_encode_p99_ms": percentile(on_motion.encode_ms, 99),
        f"{key}_motion_fps": 1000 / motion_p50 if motion_p50 else 0.0,
        f"{key}_cpu_s": on_minute.cpu_s + on_motion.cpu_s,
        f"{key}_minute_bytes": sum(on_minute.bytes_by_phase.values()),
        f"{key}_motion_bytes_per_s": sum(on_motion.bytes_by_phase.values()) / motion_s,
    }
    for phase, size in sorted(on_minute.bytes_by_phase.items()):
        figures[f"{key}_{phase}_bytes"] = size
    if on_minute.decoded is not None:
        figures[f"{key}_text_ssim"] = text_ssim(on_minute.decoded, still)
    return figures


def table(figures: dict[str, float], settings: list[Setting]) -> str:
    columns = [
        ("enc p50", "encode_p50_ms", "{:.1f}"),
        ("enc p99", "encode_p99_ms", "{:.1f}"),
        ("mot p50", "motion_encode_p50_ms", "{:.1f}"),
        ("mot fps", "motion_fps", "{:.0f}"),
        ("cpu s", "cpu_s", "{:.1f}"),
        ("minute KB", "minute_bytes", "{:.0f}"),
        ("motion KB/s", "motion_bytes_per_s", "{:.0f}"),
        ("text SSIM", "text_ssim", "{:.4f}"),
    ]
    lines = [f"{'setting':22}" + "".join(f"{c[0]:>12}" for c in columns)]
    for setting in settings:
        cells = []
        for _, suffix, form in columns:
            value = figures.get(f"{setting.name}_{suffix}", float("nan"))
            value = value / 1000 if "bytes" in suffix else value
            cells.append(f"{form.format(value):>12}")
        lines.append(f"{setting.name:22}" + "".join(cells))
    others = [
        f"{k} = {v:.6g}"
        for k, v in figures.items()
        if not k.startswith(("h264_", "vp8_", "vp9_"))
    ]
    return "\n".join([*lines, "", *others])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--only", default="", help="comma-separated setting names (default: all)"
    )
    args = parser.parse_args()
    settings = [s for s in SETTINGS if not args.quick or s.name in QUICK]
    if args.only:
        settings = [s for s in settings if s.name in args.only.split(",")]
    with workload.desktop() as display:
        minute, motion = record(display, 2.0 if args.quick else 4.0)
    motion_s = motion.phases[0].end - motion.phases[0].start
    minute_stream, motion_stream = stream_of(minute), stream_of(motion)
    still = frame_at(minute_stream, still_end_index(minute_stream))

    figures = baselines(minute, motion)
    figures |= conversion_costs(motion_stream)
    figures["webp_text_bytes"], figures["webp_text_ms"] = webp_text(still)
    for setting in settings:
        print(f"encoding {setting.name}", file=sys.stderr, flush=True)
        figures |= measure(setting, minute_stream, motion_stream, motion_s, still)

    print(table(figures, settings), file=sys.stderr)
    print(json.dumps({k: round(v, 4) for k, v in figures.items()}))


if __name__ == "__main__":
    main()
