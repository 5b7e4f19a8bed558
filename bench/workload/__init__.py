"""A reference workload for screen benchmarks: a deterministic desktop on
Xvfb (1920x1080x24) with real X applications driven by XTest.

From ``bench/`` on ``sys.path`` (a script in ``bench/``)::

    from workload import desktop, run_minute, run_motion, text_regions

    with desktop() as display:
        phases = run_minute(display, on_phase=lambda name, t: print(name, t))

The minute is described exactly in ``bench/workload/README.md``; its figures
compare across versions only while that description holds.
"""

from ._desktop import (
    BACKGROUND,
    HEIGHT,
    PACKAGES,
    WIDTH,
    desktop,
    ensure_packages,
    start_desktop,
    stop_desktop,
)
from ._quality import ssim
from ._scenarios import (
    DRAG_PX,
    EDITOR,
    MINUTE,
    MOTION_LINES,
    MOTION_PERIOD_MS,
    VIEWER,
    Phase,
    PhaseCallback,
    Rect,
    run_minute,
    run_motion,
    text_regions,
)

__all__ = [
    "BACKGROUND",
    "DRAG_PX",
    "EDITOR",
    "HEIGHT",
    "MINUTE",
    "MOTION_LINES",
    "MOTION_PERIOD_MS",
    "PACKAGES",
    "VIEWER",
    "WIDTH",
    "Phase",
    "PhaseCallback",
    "Rect",
    "desktop",
    "ensure_packages",
    "run_minute",
    "run_motion",
    "ssim",
    "start_desktop",
    "stop_desktop",
    "text_regions",
]
