from __future__ import annotations

import av
import numpy as np
import pytest
from screen_fakes import desktop

from lifebuoy.applet.screen._encoder import (
    CODECS,
    VideoEncoder,
    avc_level,
    avc_string,
)

DECODER = {"h264": "h264", "vp8": "vp8", "vp9": "vp9"}


def decode(codec: str, packets: list[bytes]) -> list[np.ndarray]:
    context = av.CodecContext.create(DECODER[codec], "r")
    frames = []
    for data in packets:
        for frame in context.decode(av.Packet(data)):
            frames.append(frame.to_ndarray(format="rgb24"))
    return frames


@pytest.mark.parametrize("codec", CODECS)
def test_decoded_video_is_close_to_the_source(codec: str) -> None:
    encoder = VideoEncoder(codec, 321, 240, level=0)  # odd width: padded
    first = desktop(321, 240)
    second = first.copy()
    second[100:140, 50:250, :3] = (20, 120, 220)  # BGR
    packets = []
    for i, frame in enumerate((first, second)):
        data, key = encoder.encode(frame)
        assert key == (i == 0)
        packets.append(data)

    pictures = decode(codec, packets)
    assert len(pictures) == 2
    shown = pictures[1][:240, :321]
    assert shown.shape == (240, 321, 3)
    source = second[:, :, 2::-1].astype(int)
    # Lossy, but close: mean error small, the painted block right in colour.
    assert np.abs(shown.astype(int) - source).mean() < 8
    assert np.abs(shown[110:130, 60:240].astype(int) - (220, 120, 20)).max() < 20


def test_codec_strings_name_what_was_encoded() -> None:
    h264 = VideoEncoder("h264", 1920, 1080, level=1)
    data, _ = h264.encode(desktop(1920, 1080))
    assert h264.codec_string == avc_string(data)
    assert h264.codec_string.startswith("avc1.4D")  # main profile
    assert int(h264.codec_string[-2:], 16) >= 40  # level 4.0 or above
    assert VideoEncoder("vp9", 1920, 1080, 0).codec_string == "vp09.00.40.08"
    assert VideoEncoder("vp8", 64, 64, 0).codec_string == "vp8"


def test_avc_level_grows_with_the_picture() -> None:
    assert avc_level(1280, 720) == "3.1"
    assert avc_level(1920, 1080) == "4.0"
    assert avc_level(2048, 1080) == "4.2"
    assert avc_level(3840, 1080) == "5.0"
    assert avc_level(3840, 2160) == "5.1"


def test_unknown_codec_is_refused() -> None:
    with pytest.raises(ValueError, match="codec"):
        VideoEncoder("h265", 64, 64, 0)


def test_converting_only_the_changed_rows_gives_the_same_picture() -> None:
    first = desktop(320, 240)
    second = first.copy()
    second[101:139, 50:250, :3] = (20, 120, 220)  # odd first row: widened
    banded, whole = (VideoEncoder("h264", 320, 240, level=0) for _ in range(2))
    got = [banded.encode(first)[0], banded.encode(second, (101, 139))[0]]
    want = [whole.encode(first)[0], whole.encode(second)[0]]
    # The encoder saw exactly the same pictures, so it made the same bytes.
    assert got == want
    pictures = decode("h264", got)
    block = pictures[1][110:130, 60:240].astype(int)
    assert np.abs(block - (220, 120, 20)).max() < 20
