"""The rendered cases ``bench/accuracy.py`` tracked, as the scripts that re-read its sessions take them."""

from __future__ import annotations

import argparse
from pathlib import Path


def tracked_cases(script: str, description: str, inside_session: str) -> list[Path]:
    """The case folders named on the command line, or every one in ``--work`` whose session holds
    ``inside_session`` and that has ground truth; exits with one line naming the named cases that
    lack either (they must be tracked first)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("cases", nargs="*", help="case folders in --work (default: every tracked rendered case)")
    parser.add_argument("--work", type=Path, default=Path("bench_work"), help="bench/accuracy.py's --work")
    args = parser.parse_args()
    depth = len(Path(inside_session).parts) + 1  # the case folder above out/session_*/inside_session
    folders = ([args.work / c for c in args.cases] if args.cases
               else sorted(p.parents[depth] for p in args.work.glob(f"*/out/session_*/{inside_session}")
                           if (p.parents[depth] / "gt.npz").exists()))
    missing = [f.name for f in folders
               if not list((f / "out").glob(f"session_*/{inside_session}")) or not (f / "gt.npz").exists()]
    if missing:
        raise SystemExit(f"{script}: no tracked session with ground truth for {', '.join(missing)} in {args.work}; "
                         f"track them first with bench/accuracy.py --cases ... --work {args.work}")
    return folders
