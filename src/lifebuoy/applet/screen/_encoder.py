"""Video encoding with PyAV, on screen content.

Theory of operation. An encoder is opened for one picture size and one
quality level and starts with a key frame; any change of size or quality
opens a fresh one, so key frames happen only then (no periodic key frames,
no scene-cut key frames: a still screen costs nothing and the console's
decoder only ever needs the frames it is sent). Frames are encoded one at a
time with zero delay (x264 ``zerolatency``, libvpx realtime with no lag), so
each ``encode`` returns the whole frame.

Colour conversion is where a naive pipeline loses its time: the BGRA capture
is wrapped as a PyAV frame without a copy (``from_numpy_buffer``) and
converted to yuv420p by libswscale (``reformat``), several times cheaper than
numpy and than ``from_ndarray`` (which copies first). 4:2:0 needs even
sizes: an odd picture is padded by repeating its last column or row, and the
console crops to the size in ``screen.format``.

Quality is a level, 0 the finest; higher levels are coarser constant-quality
settings. Video quality is deliberately modest: still regions are re-sent
losslessly by the sharp refresh, so video only has to look right while
things move.
"""

from __future__ import annotations

import logging
from fractions import Fraction

import av
import numpy as np

from ._tiles import Frame

logger = logging.getLogger(__name__)

CODECS = ("h264", "vp8", "vp9")
DEFAULT_CODEC = "h264"

_CRF = {
    # x264 crf / libvpx crf (0-63); level 0 first.
    "h264": (30, 34, 38, 42, 47, 51),
    "vp8": (24, 34, 42, 50, 57, 63),
    "vp9": (34, 42, 48, 54, 59, 63),
}
LEVELS = len(_CRF["h264"])
START_LEVEL = 2
"""Where a stream starts (x264 crf 38): text stays legible while it moves,
and sharp refresh makes it exact once it stops. On a 1080p screen of text the
key frame is 87 KB here against 107 KB at crf 34, while its lossless WebP
refresh is about 55 KB: the key frame is the bigger part of a first picture."""


BAND_AT_MOST = 0.5
"""Changes taller than this share of the picture are converted whole."""


class EncoderError(Exception):
    """The encoder could not be opened or failed on a frame."""


class VideoEncoder:
    """One codec context for one picture size and quality level."""

    def __init__(self, codec: str, width: int, height: int, level: int) -> None:
        if codec not in CODECS:
            raise ValueError(f"unknown codec {codec!r}")
        self.codec, self.width, self.height = codec, width, height
        self.level = max(0, min(LEVELS - 1, level))
        self.coded_width, self.coded_height = width + width % 2, height + height % 2
        try:
            self._context = self._open()
        except (av.FFmpegError, ValueError) as exc:
            raise EncoderError(f"cannot open {codec}: {exc}") from exc
        self._frames = 0
        self._yuv: av.VideoFrame | None = None
        """The last picture as converted, for converting only changed rows."""
        self.codec_string = "" if codec == "h264" else _vpx_string(codec, width, height)

    def encode(
        self, frame: Frame, rows: tuple[int, int] | None = None
    ) -> tuple[bytes, bool]:
        """One picture, BGRA of the encoder's size; returns (data, key frame).

        ``rows`` (first, end) says that only those rows changed since the
        previous picture: only they are converted to YUV, into the picture
        kept from last time (a click's answer converts a band, not 1080p).
        """
        if frame.shape[1] != self.coded_width or frame.shape[0] != self.coded_height:
            frame = _pad(frame)
            rows = None
        try:
            picture = self._converted(frame, rows)
            picture.pts = self._frames
            self._frames += 1
            packets = self._context.encode(picture)
        except (av.FFmpegError, ValueError) as exc:
            raise EncoderError(f"{self.codec} failed on a frame: {exc}") from exc
        data = b"".join(bytes(p) for p in packets)
        key = any(p.is_keyframe for p in packets)
        if self.codec == "h264" and not self.codec_string:
            self.codec_string = avc_string(data)
        return data, key

    def _converted(self, frame: Frame, rows: tuple[int, int] | None) -> av.VideoFrame:
        kept = self._yuv
        if (
            kept is None
            or rows is None
            or rows[1] - rows[0] > BAND_AT_MOST * len(frame)
        ):
            # Wrapping the capture costs no copy; swscale reads it directly.
            wrapped = av.VideoFrame.from_numpy_buffer(
                np.ascontiguousarray(frame), format="bgra"
            )
            self._yuv = wrapped.reformat(format="yuv420p")
            return self._yuv
        first, end = rows[0] - rows[0] % 2, min(len(frame), rows[1] + rows[1] % 2)
        band = av.VideoFrame.from_numpy_buffer(
            np.ascontiguousarray(frame[first:end]), format="bgra"
        ).reformat(format="yuv420p")
        for plane, part, scale in zip(kept.planes, band.planes, (1, 2, 2), strict=True):
            into = np.frombuffer(memoryview(plane), np.uint8)
            into = into.reshape(-1, plane.line_size)
            come = np.frombuffer(memoryview(part), np.uint8)
            come = come.reshape(-1, part.line_size)
            width = min(plane.width, part.width)
            into[first // scale : first // scale + len(come), :width] = come[:, :width]
        return kept

    def close(self) -> None:
        """Frees the codec context (no flush: nobody waits for more frames)."""
        del self._context

    def _open(self) -> av.VideoCodecContext:
        name = {"h264": "libx264", "vp8": "libvpx", "vp9": "libvpx-vp9"}[self.codec]
        context = av.CodecContext.create(name, "w")
        assert isinstance(context, av.VideoCodecContext)
        context.width, context.height = self.coded_width, self.coded_height
        context.pix_fmt = "yuv420p"
        context.time_base = Fraction(1, 30)
        context.gop_size = 1 << 30  # no periodic key frames
        context.max_b_frames = 0
        crf = str(_CRF[self.codec][self.level])
        if self.codec == "h264":
            context.options = {
                "preset": "superfast",
                "tune": "zerolatency",
                "profile": "main",
                "level": avc_level(self.coded_width, self.coded_height),
                "crf": crf,
                # Screens scroll: a wheel notch moves text 50-100 px, beyond
                # the preset's diamond search of 16. The multi-hexagon search
                # over 64 px finds it: a scrolled 1080p page of text costs
                # 2 KB instead of 29 KB, and encodes faster (mostly skips).
                "x264-params": (
                    "keyint=infinite:scenecut=0:bframes=0:annexb=1:me=umh:merange=64"
                ),
            }
        else:
            # libvpx needs a target rate for its constant-quality mode; this
            # one is a ceiling that screen content stays far below.
            context.bit_rate = 8_000_000 if self.codec == "vp8" else 0
            context.options = {
                "deadline": "realtime",
                "cpu-used": "8",
                "lag-in-frames": "0",
                "auto-alt-ref": "0",
                "crf": crf,
                **({"row-mt": "1"} if self.codec == "vp9" else {}),
            }
        context.thread_count = 2
        context.open()
        return context


def _pad(frame: Frame) -> Frame:
    """Repeat the last column/row so both sizes are even."""
    height, width = frame.shape[:2]
    return np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")


_AVC_LEVELS = (
    # level, max macroblocks per frame, max macroblocks per second
    ("3.1", 3600, 108000),
    ("3.2", 5120, 216000),
    ("4.0", 8192, 245760),
    ("4.2", 8704, 522240),
    ("5.0", 22080, 589824),
    ("5.1", 36864, 983040),
    ("5.2", 36864, 2073600),
    ("6.0", 139264, 4177920),
    ("6.1", 139264, 8355840),
    ("6.2", 139264, 16711680),
)


def avc_level(width: int, height: int, fps: int = 30) -> str:
    """The smallest H.264 level that allows this size at ``fps``."""
    mbw, mbh = -(-width // 16), -(-height // 16)
    frame = mbw * mbh
    for level, max_fs, max_mbps in _AVC_LEVELS:
        side = (8 * max_fs) ** 0.5
        if frame <= max_fs and frame * fps <= max_mbps and max(mbw, mbh) <= side:
            return level
    return _AVC_LEVELS[-1][0]


def avc_string(data: bytes) -> str:
    """The WebCodecs codec string from the sequence parameter set in an
    Annex B key frame (profile, constraint flags, level as written)."""
    start = 0
    while (start := data.find(b"\x00\x00\x01", start)) >= 0:
        nal = data[start + 3 : start + 7]
        if len(nal) == 4 and nal[0] & 0x1F == 7:
            return f"avc1.{nal[1]:02X}{nal[2]:02X}{nal[3]:02X}"
        start += 3
    raise EncoderError("no sequence parameter set in the key frame")


_VP9_LEVELS = (
    # level, max luma picture size, max luma samples per second
    (10, 36864, 829440),
    (11, 73728, 2764800),
    (20, 122880, 4608000),
    (21, 245760, 9216000),
    (30, 552960, 20736000),
    (31, 983040, 36864000),
    (40, 2228224, 83558400),
    (41, 2228224, 160432128),
    (50, 8912896, 311951360),
    (51, 8912896, 588251136),
    (60, 35651584, 1176502272),
)


def _vpx_string(codec: str, width: int, height: int, fps: int = 30) -> str:
    if codec == "vp8":
        return "vp8"
    size = width * height
    level = next(
        (lv for lv, most, rate in _VP9_LEVELS if size <= most and size * fps <= rate),
        62,
    )
    return f"vp09.00.{level:02d}.08"
