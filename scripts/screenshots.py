"""Screenshots of the three apps on a tracked test_A session, for docs/ (run under Xvfb for a real window).

Usage: xvfb-run -s "-screen 0 1400x900x24" python scripts/screenshots.py SESSION SETTINGS.toml [--out docs/screenshots]

Writes ``segmentation_app.png`` (live overlay, a ROI drawn, the blob plot), ``validator.png`` (one
centroid removed so the error list shows what it finds) and ``video_generator.png`` (the dialog
after making the video). Without a display it falls back to Qt's offscreen platform.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qtpy import QtCore, QtWidgets  # noqa: E402

from idtracker.adapters.config.toml_settings import load_toml, structure_settings  # noqa: E402
from idtracker.application.settings import dump_settings  # noqa: E402
from idtracker.entrypoints.segmentation_app import SegmentationWindow  # noqa: E402
from idtracker.entrypoints.validator_app import ValidatorWindow  # noqa: E402
from idtracker.entrypoints.video_app import VideoDialog  # noqa: E402

ROI = "+ Polygon [[80.0, 20.0], [1000.0, 20.0], [1000.0, 900.0], [80.0, 900.0]]"


def _settle(app: QtWidgets.QApplication, ms: int = 300) -> None:
    loop = QtCore.QEventLoop()
    QtCore.QTimer.singleShot(ms, loop.quit)
    loop.exec()
    app.processEvents()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("session", type=Path)
    parser.add_argument("settings", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QtWidgets.QApplication([])
    print(f"Qt platform: {app.platformName()}")

    segmentation = SegmentationWindow(dump_settings(structure_settings(load_toml(args.settings))))
    segmentation.show()
    segmentation.player.set_frame(100)
    segmentation.panel.add_roi(ROI)
    _settle(app)
    segmentation.grab().save(str(args.out / "segmentation_app.png"))
    segmentation.close()

    validator = ValidatorWindow(args.session)
    validator.show()
    validator.player.set_frame(100)
    xy = validator.session.trajectories()[100, 2]
    validator._clicked(float(xy[0]), float(xy[1]), 1)
    validator.remove_centroid()
    _settle(app)
    validator.grab().save(str(args.out / "validator.png"))
    validator.close()

    dialog = VideoDialog(args.session)
    dialog.show()
    dialog.run()
    while not dialog.written and dialog.generate.isEnabled() is False:
        _settle(app, 200)
    _settle(app)
    dialog.grab().save(str(args.out / "video_generator.png"))
    print(f"screenshots in {args.out}: segmentation_app.png, validator.png, video_generator.png")


if __name__ == "__main__":
    main()
