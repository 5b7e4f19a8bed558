"""The X11 capture source: mss for pictures, DAMAGE for change, XFixes for
the pointer.

Two X connections besides mss's own: one only carries DAMAGE events and is
read on the event loop (its descriptor is what the streamer watches), the
other answers pointer and cursor queries from the worker thread. Keeping
them apart means neither thread ever reads the other's replies.

DAMAGE is used in its cheapest mode (``ReportNonEmpty``): the server sends
one event when the screen goes from unchanged to changed, and the source
subtracts the damage when it reports the change, re-arming it. A screen
that does not change sends nothing at all. The same connection carries
RandR's screen, CRTC and output change events: a monitor plugged in or a
resolution changed makes the next ``monitors`` read the layout anew.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import mss
import numpy as np

from ._source import CursorImage, Monitor, Pointer, ScreenUnavailable
from ._tiles import Frame

logger = logging.getLogger(__name__)

POLL_INTERVAL = 0.3
"""Without DAMAGE, a still screen is looked at this often."""
MAX_CURSOR = 256
_REPORT_NON_EMPTY = 3  # XDamageReportNonEmpty


class X11Source:
    """The X display ``display`` (None: ``$DISPLAY``)."""

    poll_interval = POLL_INTERVAL

    def __init__(self, display: str | None = None) -> None:
        from Xlib import display as xdisplay  # X11 only when used
        from Xlib import error as xerror

        try:
            self._mss = mss.MSS(display=display)
            self._query = xdisplay.Display(display)
            self._events = xdisplay.Display(display)
        except (mss.ScreenShotError, xerror.DisplayError, OSError) as exc:
            logger.warning("cannot open display %s: %s", display, exc)
            raise ScreenUnavailable("The screen cannot be opened.") from exc
        self._lock = threading.Lock()
        self._damage: Any = None
        self._damage_event = -1
        self._xfixes = self._query.has_extension("XFIXES")
        if self._xfixes:
            # The server refuses XFixes requests before the version is agreed.
            self._query.xfixes_query_version()
        self._display = display
        self._randr_event = -1
        self._relayout = False
        self._layout_seen = False
        self._shapes: dict[int, CursorImage] = {}
        self._pointer_at = (-1, -1)
        self._shape_checked = float("-inf")
        self._serial = 0
        self._setup_damage()
        self._setup_randr()

    def _setup_randr(self) -> None:
        from Xlib.ext import randr

        if not self._events.has_extension("RANDR"):
            return
        self._events.screen().root.xrandr_select_input(
            randr.RRScreenChangeNotifyMask
            | randr.RRCrtcChangeNotifyMask
            | randr.RROutputChangeNotifyMask
        )
        self._randr_event = self._events.query_extension("RANDR").first_event
        self._events.flush()

    def _setup_damage(self) -> None:
        from Xlib.ext import damage

        if not self._events.has_extension("DAMAGE"):
            logger.info("no DAMAGE extension: polling the screen")
            return
        self._events.damage_query_version()
        self._damage = self._events.screen().root.damage_create(_REPORT_NON_EMPTY)
        first = self._events.query_extension("DAMAGE").first_event
        self._damage_event = first + damage.DamageNotifyCode
        self._events.flush()
        logger.debug("DAMAGE on, event %d", self._damage_event)

    def monitors(self) -> list[Monitor]:
        if self._relayout:
            # mss reads the layout once per instance.
            self._relayout = False
            self._mss.close()
            self._mss = mss.MSS(display=self._display)
        found = self._mss.monitors[1:]
        flagged = any(m.get("is_primary") for m in found)
        return [
            Monitor(
                index=i,
                x=m["left"],
                y=m["top"],
                width=m["width"],
                height=m["height"],
                primary=bool(m.get("is_primary")) if flagged else i == 1,
            )
            for i, m in enumerate(found, start=1)
        ]

    def grab(self, x: int, y: int, width: int, height: int) -> Frame:
        try:
            shot = self._mss.grab(
                {"left": x, "top": y, "width": width, "height": height}
            )
        except mss.ScreenShotError as exc:
            logger.warning("capture failed: %s", exc)
            raise ScreenUnavailable("The screen can no longer be captured.") from exc
        frame: Frame = np.asarray(shot)
        return frame

    def pointer(self) -> Pointer | None:
        if not self._xfixes:
            return None
        root = self._query.screen().root
        with self._lock:
            reply = root.query_pointer()
            at, now = (int(reply.root_x), int(reply.root_y)), time.monotonic()
            # The image is 4 KB and slow to parse in Python: fetch it when the
            # pointer moved (shapes change on hover), else twice a second.
            if at != self._pointer_at or now - self._shape_checked >= 0.5:
                image = self._query.xfixes_get_cursor_image(root)
                self._serial, self._shape_checked = int(image.cursor_serial), now
                if self._serial not in self._shapes:
                    self._shapes[self._serial] = _cursor(image)
            self._pointer_at = at
        return Pointer(at[0], at[1], self._serial)

    def cursor_image(self, shape: int) -> CursorImage | None:
        return self._shapes.get(shape)

    def fileno(self) -> int | None:
        return int(self._events.fileno()) if self._damage is not None else None

    def layout_changed(self) -> bool:
        if self._damage is None:  # else poll_changed reads the events
            self._read_randr()
        changed, self._layout_seen = self._layout_seen, False
        return changed

    def poll_changed(self) -> bool:
        if self._damage is None:
            return True
        changed = False
        while self._events.pending_events():
            kind = self._events.next_event().type
            # A new layout is a changed screen too: the loop wakes for it.
            changed = self._randr(kind) or kind == self._damage_event or changed
        if changed:
            self._events.damage_subtract(self._damage)
            self._events.flush()
        return changed

    def _read_randr(self) -> None:
        while self._randr_event >= 0 and self._events.pending_events():
            self._randr(self._events.next_event().type)

    def _randr(self, kind: int) -> bool:
        """Note a RandR screen change or RRNotify (CRTC, output) event."""
        if self._randr_event < 0 or not 0 <= kind - self._randr_event <= 1:
            return False
        self._layout_seen = self._relayout = True
        return True

    def close(self) -> None:
        for connection in (self._events, self._query):
            try:
                connection.close()
            except Exception:  # the display may be gone already
                logger.debug("closing an X connection failed", exc_info=True)
        self._mss.close()


def _cursor(image: Any) -> CursorImage:
    """XFixes cursor pixels as straight RGBA, at most 256 x 256.

    XFixes gives premultiplied ARGB, one pixel per 32-bit long; a canvas wants
    straight alpha, so the colours are divided back out."""
    width, height = int(image.width), int(image.height)
    argb = np.asarray(image.cursor_image, dtype=np.uint32)[: width * height]
    argb = argb.reshape(height, width)[:MAX_CURSOR, :MAX_CURSOR]
    height, width = argb.shape
    alpha = ((argb >> 24) & 0xFF).astype(np.uint32)
    rgba = np.empty((height, width, 4), dtype=np.uint8)
    for channel, shift in enumerate((16, 8, 0)):
        colour = (argb >> shift) & 0xFF
        straight = np.where(alpha > 0, colour * 255 // np.maximum(alpha, 1), 0)
        rgba[..., channel] = np.minimum(straight, 255)
    rgba[..., 3] = alpha
    hot = (min(int(image.xhot), width - 1), min(int(image.yhot), height - 1))
    return CursorImage(width, height, hot[0], hot[1], rgba.tobytes())
