"""``idmatcherai MASTER SESSION...``: name the identities of other sessions of the same animals after the master's.

Each session's model classifies the other's identification images; the counts are matched one
to one. Results go to ``<session>/matching_results/<master folder name>/`` and the agreement to the
terminal and ``./idtrackerai.log``. Sessions must keep their identification images and model
(data_policy ``idmatcher.ai``, the default, or ``all``) and share ``id_image_size``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .app import check_session_folders, run_tool


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="idmatcherai",
        description="Match the identities of sessions of the same animals to a master session's.")
    parser.add_argument("master", type=Path, metavar="MASTER", help="session folder whose identities are the names")
    parser.add_argument("sessions", type=Path, nargs="+", metavar="SESSION", help="session folders to match to it")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    def match(container):
        check_session_folders(args.master, *args.sessions)
        return container.match_identities()(args.master, args.sessions)

    status, matches = run_tool("idmatcherai", match)
    if status:
        return status
    for folder, match in zip(args.sessions, matches):
        pairs = ", ".join(f"{i + 1}->{a + 1}" for i, a in enumerate(match.assignment) if a >= 0)
        print(f"{folder}: agreement {match.agreement:.1%} with {args.master}; identity -> master identity: {pairs}")
        print(f"  written {folder / 'matching_results' / args.master.name / 'assignments.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
