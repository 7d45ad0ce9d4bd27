"""``idtrackerai_video [SESSION] --run``: a video of the tracking, with every identity's trail and label.

Options are idtracker.ai's: ``--individual`` (one video per animal and their grid), ``--gray``,
``--t`` (trajectories file instead of the session's), ``--tl`` (trail length in frames), ``--s`` /
``--e`` (first and end frame; the end is exclusive and defaults to the last tracked frame, included),
``--size`` (individual tile side in px), ``--no-labels``. Without ``--run`` a small dialog with the
same options (``entrypoints/video_app.py``) makes the video with a progress bar.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from idtracker.application.tracked_video import VideoOptions

from .app import check_session_folders, has_display, run_tool


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} must be 0 or more")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="idtrackerai_video", description="Make a video of a tracking session.")
    parser.add_argument("session", type=Path, nargs="?", metavar="SESSION", help="session folder")
    parser.add_argument("--run", action="store_true", help="make the video now, headless (without: a dialog)")
    parser.add_argument("--individual", action="store_true", help="one video per animal, and their grid")
    parser.add_argument("--gray", action="store_true", help="draw in gray levels")
    parser.add_argument("--t", type=Path, default=None, metavar="TRAJECTORIES",
                        help="trajectories file to draw instead of the session's")
    parser.add_argument("--tl", type=_non_negative, default=20, help="trail length in frames (default: 20)")
    parser.add_argument("--s", type=_non_negative, default=0, help="first frame (default: 0)")
    parser.add_argument("--e", type=_non_negative, default=None, help="end frame, exclusive (default: the last)")
    parser.add_argument("--size", type=_non_negative, default=None,
                        help="individual videos' tile side in px (default: the median body length)")
    parser.add_argument("--no-labels", dest="labels", action="store_false", help="do not draw identity labels")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.run:
        return _dialog(args.session)
    if args.session is None:
        print("idtrackerai_video: error: --run needs a SESSION folder (e.g. idtrackerai_video session_x --run)",
              file=sys.stderr)
        return 2
    options = VideoOptions(args.s, args.e, args.tl, args.gray, args.labels, args.individual, args.size or None)

    def make(container):
        check_session_folders(args.session)
        return container.tracked_video()(args.session, options, args.t)

    status, files = run_tool("idtrackerai_video", make, console=True)
    if status:
        return status
    for path in files:
        print(f"written {path}")
    return 0


def _dialog(session: Path | None) -> int:
    """The video generator dialog; one line and exit 2 without a display or Qt."""
    if not has_display():
        print("idtrackerai_video: error: no display for the video generator dialog; add --run to make the video "
              "from the terminal", file=sys.stderr)
        return 2
    try:
        from qtpy import QtWidgets

        from idtracker.entrypoints.video_app import VideoDialog
    except ImportError:
        print("idtrackerai_video: error: the dialog needs Qt: pip install 'idtracker[gui]', or add --run",
              file=sys.stderr)
        return 2
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    dialog = VideoDialog(session)
    dialog.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
