"""The applet's screen pipeline: capture, change detection, encoding, pacing.

``ScreenStreamer`` turns the customer's screen into the picture messages of
docs/screen.md (``screen.monitors``, ``screen.format``, video, sharp, cursor)
and sends them through a ``send`` callable, one channel message each. The
layers, from the bottom:

* ``_source`` / ``_x11``: the ``CaptureSource`` seam and its X11 version
  (mss with shared memory, DAMAGE to learn of changes, XFixes for the
  pointer);
* ``_tiles``: 64 x 64 tile comparison and rectangle merging;
* ``_encoder``: PyAV video encoders (H.264, VP8, VP9) and codec strings;
* ``_sharp``: lossless WebP refresh of regions that stopped changing;
* ``_pacing``: in-flight accounting by acknowledgement and quality level;
* ``_pipeline``: one synchronous capture → encode step (worker thread);
* ``_streamer``: the asyncio adaptor that decides when steps happen.

Errors: ``ScreenUnavailable`` ends ``run`` when the display vanishes or the
encoder fails; its message is written for the customer, details are logged.

``python -m lifebuoy.applet.screen._measure`` times each stage on a display.
"""

from ._encoder import CODECS, DEFAULT_CODEC
from ._pacing import IN_FLIGHT
from ._sharp import SHARP_AFTER_S
from ._source import CaptureSource, CursorImage, Monitor, Pointer, ScreenUnavailable
from ._streamer import ScreenStreamer

__all__ = [
    "CODECS",
    "DEFAULT_CODEC",
    "IN_FLIGHT",
    "SHARP_AFTER_S",
    "CaptureSource",
    "CursorImage",
    "Monitor",
    "Pointer",
    "ScreenStreamer",
    "ScreenUnavailable",
]
