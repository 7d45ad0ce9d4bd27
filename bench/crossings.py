"""The crossings solver alone, on sessions ``bench/accuracy.py`` already tracked: the identities as
tracked, the crossing blobs solved again by this checkout's code, scored against ground truth.

Usage: python bench/crossings.py [--work DIR] [CASE ...]

Identification takes minutes a case and the solver a second, so a change to the solver is measured
here on every rendered case at once, on the same identities before and after (run it from a
checkout of each). Each session's ``preprocessing/blobs.npz`` holds its blobs, overlap links and
identities; one animal's area is taken as the median area of the identified individual blobs (the
session's own area model is not stored). Prints, per case, identity accuracy on all animal-frames
and on those touching another, and the solver's time.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from idtracker.adapters.storage.ground_truth_file import read_ground_truth
from idtracker.domain.crossing_resolution import follow_identities, split_positions
from idtracker.domain.scoring import identity_accuracy
from idtracker.domain.trajectories import positions_by_identity, with_placed_positions

from accuracy import touching_accuracy  # bench/ is the script's own folder
from tracked_cases import saved_blobs, tracked_cases


def solved_trajectories(case: Path, frames: int, animals: int) -> tuple[np.ndarray, float]:
    """(frames, animals, 2) positions of every identity of the case's session, crossings solved
    again as the pipeline writes them (a placed position fills a gap, or replaces its own blob's
    centroid where the blob is shared), and the solver's seconds."""
    blobs, saved = saved_blobs(case)
    links, identity, individual = saved["links"], saved["identity"], saved["is_individual"]
    identified = individual & (identity > 0)
    animal_area = float(np.median(blobs.area[identified])) if identified.any() else 0.0
    t0 = time.perf_counter()
    placed = split_positions(blobs, follow_identities(blobs, links, identity, individual), identity, animal_area)
    seconds = time.perf_counter() - t0
    out = positions_by_identity(frames, animals, blobs.frame, blobs.centroid, identity)
    return with_placed_positions(out, blobs.frame, identity, placed), seconds


def score_case(folder: Path) -> dict:
    """Accuracy on all and on touching animal-frames of the case in ``folder``, and the solver's time."""
    truth = read_ground_truth(folder)
    output, seconds = solved_trajectories(folder, len(truth.positions), truth.positions.shape[1])
    accuracy = identity_accuracy(truth.positions, truth.touching, truth.body_length, output)
    acc_touching = touching_accuracy(accuracy.acc_individual, accuracy.acc_all, accuracy.touching_fraction)
    return {"case": folder.name, "acc_all": accuracy.acc_all, "acc_touching": acc_touching, "solver_s": seconds}


def main() -> None:
    folders = tracked_cases("crossings.py", __doc__.splitlines()[0], "preprocessing/blobs.npz")
    print(f"{'case':24s} {'acc_all':>8s} {'acc_tch':>8s} {'solver_s':>9s}")
    for folder in folders:
        row = score_case(folder)
        print(f"{row['case']:24s} {row['acc_all']:8.4f} {row['acc_touching']:8.4f} {row['solver_s']:9.1f}")


if __name__ == "__main__":
    main()
