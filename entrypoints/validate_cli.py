"""``idtrackerai_validate [SESSION]``: open the validator; one line and exit 2 without a display, Qt or a session."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .app import has_display


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="idtrackerai_validate", description="Check and correct a session's identities.")
    parser.add_argument("session", type=Path, nargs="?", help="session folder (or open one from the window)")
    args = parser.parse_args(argv)
    if not has_display():
        print("idtrackerai_validate: error: no display to open the validator on (no DISPLAY or WAYLAND_DISPLAY)",
              file=sys.stderr)
        return 2
    if args.session is not None and not (args.session / "session.json").is_file():
        print(f"idtrackerai_validate: error: {args.session} is not a session folder (no session.json)", file=sys.stderr)
        return 2
    try:
        from qtpy import QtWidgets

        from idtracker.entrypoints.validator_app import ValidatorWindow
    except ImportError:
        print("idtrackerai_validate: error: the validator needs Qt: pip install 'idtracker[gui]'", file=sys.stderr)
        return 2
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    window = ValidatorWindow(args.session)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
