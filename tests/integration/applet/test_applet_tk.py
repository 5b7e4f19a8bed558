"""The applet's Tk window on a virtual screen (Xvfb), in a real session: the
comparison code and the technician's chat line show; a screenshot is kept in
test-artifacts/applet-tk.png."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest
import xscreen
from live_helpers import RunningApplet, download_session_file, technician

from lifebuoy.testing.livesite import LiveSite

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not xscreen.available(), reason="needs Xvfb and libX11"),
]

APPLET = str(Path(sys.executable).with_name("lifebuoy-applet"))
ARTIFACT = Path(__file__).parents[3] / "test-artifacts" / "applet-tk.png"


def test_applet_window_shows_the_code_and_the_chat(
    live_site: LiveSite, tmp_path: Path
) -> None:
    with xscreen.virtual_screen() as display:
        asyncio.run(_in_window(live_site, tmp_path, display))


async def _in_window(site: LiveSite, tmp_path: Path, display: str) -> None:
    client = await technician(site)
    pin = await client.create_pin()
    file = download_session_file(site, pin.pin, tmp_path, name="Pat Window")
    applet = RunningApplet([APPLET, str(file)], tmp_path / "state", display=display)
    try:
        await asyncio.to_thread(applet.wait_line, r"^Status: Waiting for a technician")
        session = await client.pickup(pin.session_id, name="Taylor Tech")
        code = await asyncio.to_thread(
            applet.wait_line, r"^Comparison code: (\d{3} \d{3})$"
        )
        assert code[1] == session.comparison_code
        await session.send_chat("Hello Pat, I can see your printer is offline.")
        await asyncio.to_thread(applet.wait_line, r"^Technician says: Hello Pat")
        time.sleep(1.0)  # the window repaints after the line is printed

        ARTIFACT.parent.mkdir(exist_ok=True)
        width, height, colours = xscreen.screenshot(display, ARTIFACT)
        assert (width, height) == (1280, 800)
        assert colours > 3, "the screen looks blank"

        await session.close("fixed")
        await asyncio.to_thread(applet.wait_line, r"^Session ended: ")
    finally:
        applet.stop()
        await client.aclose()
