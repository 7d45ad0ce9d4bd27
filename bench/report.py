"""Time to draw a session's report (report.html and its PNGs), e.g. for the 100-animal bench case.

Usage: python bench/report.py SESSION [SESSION ...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from idtracker.adapters.report.session_report import write_report
from idtracker.adapters.storage.trajectory_files import read_trajectories


def main() -> None:
    for folder in map(Path, sys.argv[1:]):
        t0 = time.perf_counter()
        path = write_report(folder)
        shape = read_trajectories(folder)["trajectories"].shape
        print(f"{folder}: {shape[1]} identities, {shape[0]} frames: report in {time.perf_counter() - t0:.1f} s -> {path}")


if __name__ == "__main__":
    main()
