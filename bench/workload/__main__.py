"""Play a workload scenario on a display, for a person to watch or for a
benchmark running beside it::

    python -m bench.workload --display :1 --scenario minute
    python -m bench.workload --new --scenario motion --seconds 10

Each phase is printed as it begins: ``<phase> <monotonic seconds>``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from ._desktop import desktop
from ._scenarios import run_minute, run_motion


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.workload")
    parser.add_argument("--display", default=os.environ.get("DISPLAY"))
    parser.add_argument(
        "--new", action="store_true", help="start a desktop of its own (Xvfb)"
    )
    parser.add_argument("--scenario", choices=["minute", "motion"], default="minute")
    parser.add_argument("--seconds", type=float, default=10.0, help="motion length")
    args = parser.parse_args()
    if not args.new and not args.display:
        parser.error("give --display or --new")

    def report(name: str, start: float) -> None:
        print(name, f"{start:.3f}", flush=True)

    with contextlib.ExitStack() as stack:
        display = stack.enter_context(desktop()) if args.new else args.display
        print("display", display, file=sys.stderr, flush=True)
        if args.scenario == "minute":
            run_minute(display, on_phase=report)
        else:
            run_motion(display, args.seconds, on_phase=report)


if __name__ == "__main__":
    main()
