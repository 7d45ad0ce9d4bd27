"""Segmentation app responsiveness: time per redraw while the intensity threshold slider moves.

Usage: QT_QPA_PLATFORM=offscreen python bench/gui_redraw.py [SETTINGS.toml] [--moves N] [--screenshot PNG [--roi ENTRY ...]]

Opens the real app window on the settings (default: ../shared/data/test_A.toml), then moves the
upper intensity threshold ``--moves`` times; each move re-segments the frame on screen with the
tracker's own segmenter and redraws the overlay and the blob plot. Prints the mean and the worst
time per redraw (target: under 100 ms), and with ``--screenshot`` saves the window.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen") if not os.environ.get("DISPLAY") else None

from qtpy import QtWidgets  # noqa: E402

from idtracker.adapters.config.toml_settings import load_toml, structure_settings  # noqa: E402
from idtracker.application.settings import dump_settings  # noqa: E402
from idtracker.entrypoints.segmentation_app import SegmentationWindow  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("settings", type=Path, nargs="?", default=SHARED / "data" / "test_A.toml")
    parser.add_argument("--moves", type=int, default=50)
    parser.add_argument("--frame", type=int, default=100)
    parser.add_argument("--screenshot", type=Path, default=None)
    parser.add_argument("--roi", action="append", default=[], help="ROI entries added before the screenshot")
    args = parser.parse_args()
    app = QtWidgets.QApplication([])
    window = SegmentationWindow(dump_settings(structure_settings(load_toml(args.settings))))
    window.show()
    window.player.set_frame(args.frame)
    app.processEvents()
    low, high = window.panel.intensity.value()
    times = []
    for k in range(args.moves):
        t0 = time.perf_counter()
        window.panel.intensity.setValue((low, max(1, high - 20 + k % 40)))
        app.processEvents()
        times.append(time.perf_counter() - t0)
    width, height = window.video.width, window.video.height
    print(f"{args.settings.name} ({width}x{height}), frame {args.frame}: {args.moves} threshold moves, "
          f"redraw mean {sum(times) / len(times) * 1000:.1f} ms, worst {max(times) * 1000:.1f} ms "
          f"(last: {window.plot.title})")
    if args.screenshot:
        window.panel.intensity.setValue((low, high))
        for roi in args.roi:
            window.panel.add_roi(roi)
        app.processEvents()
        window.grab().save(str(args.screenshot))
        print(f"screenshot {args.screenshot}")


if __name__ == "__main__":
    main()
