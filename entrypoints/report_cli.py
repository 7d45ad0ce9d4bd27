"""``idtrackerai_report SESSION...``: write (or rewrite) a session's report.html with its plots."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from idtracker.application.errors import UserError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="idtrackerai_report",
                                     description="Write report.html (tracks, certainty, crossings, coverage, stages, "
                                                 "parameters) for finished sessions.")
    parser.add_argument("sessions", type=Path, nargs="+", metavar="SESSION")
    args = parser.parse_args(argv)
    from idtracker.entrypoints.container import session_report

    try:
        for folder in args.sessions:
            if not folder.is_dir():
                raise UserError(f"{folder} is not a folder; give session folders (session_<name>)")
            print(f"written {session_report(folder)}")
    except UserError as error:
        print(f"idtrackerai_report: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
