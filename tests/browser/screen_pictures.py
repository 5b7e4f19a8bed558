"""Screen pictures as the applet sends them (docs/screen.md), for the console
tests: real H.264 from PyAV's libx264 (Annex B) and lossless WebP tiles from
Pillow, wrapped in the binary message layouts."""

from __future__ import annotations

import io
import struct
from collections.abc import Iterable

import av
import numpy as np
from PIL import Image

WIDTH, HEIGHT = 640, 360
CODEC = "avc1.42E01E"  # constrained baseline, level 3.0

Rect = tuple[int, int, int, int]
RED, GREEN, BLUE, WHITE = (220, 30, 30), (30, 200, 60), (30, 60, 220), (240, 240, 240)
YELLOW, MAGENTA = (240, 220, 20), (230, 0, 230)


def quadrants() -> np.ndarray:
    """Red, green / blue, white: the picture the first key frame shows."""
    picture = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    half_w, half_h = WIDTH // 2, HEIGHT // 2
    picture[:half_h, :half_w] = RED
    picture[:half_h, half_w:] = GREEN
    picture[half_h:, :half_w] = BLUE
    picture[half_h:, half_w:] = WHITE
    return picture


class H264Frames:
    """A libx264 encoder for the test picture, one packet a frame."""

    def __init__(self) -> None:
        self.codec = av.CodecContext.create("libx264", "w")
        self.codec.width, self.codec.height = WIDTH, HEIGHT
        self.codec.pix_fmt = "yuv420p"
        self.codec.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "profile": "baseline",
        }
        self.count = 0

    def encode(self, picture: np.ndarray, key: bool = False) -> bytes:
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
        frame.pts = self.count
        if key:
            frame.pict_type = av.video.frame.PictureType.I
        self.count += 1
        return b"".join(bytes(packet) for packet in self.codec.encode(frame))


def video_message(
    seq: int, data: bytes, rects: Iterable[Rect], key: bool, encode_ms: int = 5
) -> bytes:
    boxes = list(rects)
    head = struct.pack(">BBIBHH", 0, 1, seq, 1 if key else 0, encode_ms, len(boxes))
    return head + b"".join(struct.pack(">HHHH", *box) for box in boxes) + data


def webp_tile(colour: tuple[int, int, int], w: int, h: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (w, h), colour).save(out, "WEBP", lossless=True)
    return out.getvalue()


def sharp_message(seq: int, tiles: Iterable[tuple[Rect, bytes]]) -> bytes:
    items = list(tiles)
    body = b"".join(
        struct.pack(">HHHHI", *rect, len(image)) + image for rect, image in items
    )
    return struct.pack(">BBIH", 0, 2, seq, len(items)) + body


def cursor_shape_message(shape: int, w: int, h: int) -> bytes:
    """An opaque black square with its hot spot top left."""
    rgba = bytes([0, 0, 0, 255]) * (w * h)
    return struct.pack(">BBIHHHH", 0, 3, shape, w, h, 0, 0) + rgba
