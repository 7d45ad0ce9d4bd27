"""The rendered cases ``bench/accuracy.py`` tracked, as the scripts that re-read its sessions take them."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from idtracker.domain.blobs import BlobTable
from idtracker.domain.ground_truth import GroundTruth


def parse_cases(description: str) -> tuple[Path, list[str]]:
    """(--work, the case names given) from the command line of a script that re-reads sessions."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("cases", nargs="*", help="case folders in --work (default: every tracked rendered case)")
    parser.add_argument("--work", type=Path, default=Path("bench_work"), help="bench/accuracy.py's --work")
    args = parser.parse_args()
    return args.work, args.cases


def find_cases(work: Path, names: list[str], inside_session: str) -> tuple[list[Path], list[str]]:
    """(the case folders named, or every one in ``work`` whose single session holds
    ``inside_session`` and that has ground truth; the named ones that do not, with why)."""
    if not names:
        names = sorted({p.relative_to(work).parts[0] for p in work.glob(f"*/out/session_*/{inside_session}")})
        names = [n for n in names if (work / n / "gt.npz").exists() and len(_sessions(work / n)) == 1]
    folders, unusable = [], []
    for name in names:
        sessions = _sessions(work / name)
        if len(sessions) != 1 or not (sessions[0] / inside_session).exists() or not (work / name / "gt.npz").exists():
            unusable.append(f"{name} ({len(sessions)} sessions)" if len(sessions) > 1 else name)
        else:
            folders.append(work / name)
    return folders, unusable


def tracked_cases(script: str, description: str, inside_session: str) -> list[Path]:
    """``find_cases`` on the command line's cases; exits with one line naming those that cannot be
    read (they must be tracked first, into a case folder of their own)."""
    work, names = parse_cases(description)
    folders, unusable = find_cases(work, names, inside_session)
    if unusable:
        raise SystemExit(f"{script}: no single tracked session with ground truth for {', '.join(unusable)} in {work}; "
                         f"track them first with bench/accuracy.py --cases ... --work {work}")
    return folders


def session_of(case: Path) -> Path:
    """The session folder of a case ``find_cases`` accepted (it holds exactly one)."""
    (session,) = _sessions(case)
    return session


def _sessions(case: Path) -> list[Path]:
    return sorted((case / "out").glob("session_*"))


def saved_blobs(case: Path) -> tuple[BlobTable, dict[str, np.ndarray]]:
    """The blobs of a case's session (``preprocessing/blobs.npz``) and the per-blob arrays saved
    beside them (``links``, ``is_individual``, ``identity``, ``fragment``)."""
    with np.load(session_of(case) / "preprocessing" / "blobs.npz") as saved:
        blobs = BlobTable(saved["frame"], saved["centroid"], saved["area"], saved["bbox"], saved["contour_points"],
                          saved["contour_offsets"])
        return blobs, {k: saved[k] for k in ("links", "is_individual", "identity", "fragment")}


def blob_animals(blobs: BlobTable, truth: GroundTruth) -> np.ndarray:
    """(n_blobs,) the one animal within half a body length of each blob's centroid, -1 where there
    is none, more than one, or the ground truth ends before the blob's frame."""
    animal = np.full(len(blobs.frame), -1, np.int64)
    seen = blobs.frame < len(truth.positions)
    distance = np.linalg.norm(truth.positions[blobs.frame[seen]] - blobs.centroid[seen][:, None, :], axis=2)
    near = np.nan_to_num(distance, nan=np.inf) < truth.body_length / 2
    one = near.sum(1) == 1
    animal[np.flatnonzero(seen)[one]] = near[one].argmax(1)
    return animal
