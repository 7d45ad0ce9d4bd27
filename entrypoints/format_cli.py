"""``idtrackerai_format``: convert trajectories files between idtracker.ai's formats.

The new files go next to the trajectories found (a session's ``trajectories/`` folder, the
folder given, or the folder of the file given), named ``trajectories.*`` like tracking writes them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from idtracker.adapters.storage.trajectory_files import FORMATS, find_trajectories, read_trajectories, write_trajectories
from idtracker.application.errors import UserError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="idtrackerai_format",
        description="Re-save trajectories in other formats, next to the trajectories read.")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                        help="trajectories file, *_csv folder, trajectories folder or session folder")
    parser.add_argument("--formats", nargs="+", required=True, choices=FORMATS, metavar="FORMAT",
                        help=f"formats to write: {', '.join(FORMATS)}")
    return parser


def convert(path: Path, formats: list[str]) -> list[Path]:
    """Read the trajectories at ``path`` and write ``formats`` into the folder that holds them."""
    source = find_trajectories(path)
    return write_trajectories(read_trajectories(source), source.parent, formats)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        for path in args.paths:
            for written in convert(path, args.formats):
                print(f"written {written}")
    except (UserError, OSError) as error:
        print(f"idtrackerai_format: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
