"""Screenshot of the validator on a session, with one identity's centroid removed so the error list shows a case.

Usage: QT_QPA_PLATFORM=offscreen python scripts/validator_screenshot.py SESSION OUT.png [--frame T] [--identity K]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qtpy import QtWidgets  # noqa: E402

from idtracker.entrypoints.validator_app import ValidatorWindow  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("session", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--frame", type=int, default=100)
    parser.add_argument("--identity", type=int, default=3)
    args = parser.parse_args()
    app = QtWidgets.QApplication([])
    window = ValidatorWindow(args.session)
    window.show()
    window.player.set_frame(args.frame)
    xy = window.session.trajectories()[args.frame, args.identity - 1]
    window._clicked(float(xy[0]), float(xy[1]), 1)
    window.remove_centroid()
    window.player.set_frame(args.frame + 1)
    window.player.set_frame(args.frame)
    app.processEvents()
    window.grab().save(str(args.out))
    print(f"{window.errors_table.rowCount()} errors listed; screenshot {args.out}")


if __name__ == "__main__":
    main()
