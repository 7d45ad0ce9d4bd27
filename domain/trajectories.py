"""Per-identity positions over time, built from the identified blobs.

Identities are 1-based as in idtracker.ai's files (0 = unidentified); column ``id - 1`` of the
arrays holds identity ``id``.
"""

from __future__ import annotations

import warnings

import numpy as np


def positions_by_identity(number_of_frames: int, number_of_identities: int, blob_frame: np.ndarray,
                          blob_centroid: np.ndarray, blob_identity: np.ndarray) -> np.ndarray:
    """(frames, identities, 2) float64 (x, y) per identity, NaN where the identity was not seen."""
    out = np.full((number_of_frames, number_of_identities, 2), np.nan)
    ok = blob_identity > 0
    out[blob_frame[ok], blob_identity[ok] - 1] = blob_centroid[ok]
    return out


def with_placed_positions(trajectories: np.ndarray, blob_frame: np.ndarray, blob_identity: np.ndarray,
                          placed: dict[tuple[int, int], tuple[float, float]]) -> np.ndarray:
    """``trajectories`` (modified in place and returned) with the positions the crossings solver
    placed, ``{(blob, identity): (x, y)}``: each fills its identity's gap in that frame, or replaces
    the centroid of its own blob where that blob is shared with a hidden animal (the whole blob's
    centroid lies between the two)."""
    for (blob, identity), xy in placed.items():
        row = trajectories[blob_frame[blob], identity - 1]
        if blob_identity[blob] == identity or np.isnan(row[0]):
            trajectories[blob_frame[blob], identity - 1] = xy
    return trajectories


def values_by_identity(number_of_frames: int, number_of_identities: int, blob_frame: np.ndarray,
                       blob_identity: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(frames, identities) float64 of a per-blob value, NaN where the identity was not seen."""
    out = np.full((number_of_frames, number_of_identities), np.nan)
    ok = blob_identity > 0
    out[blob_frame[ok], blob_identity[ok] - 1] = values[ok]
    return out


def area_statistics(areas_by_identity: np.ndarray) -> dict[str, np.ndarray]:
    """Mean, median and std of each identity's area over the frames it was an individual blob."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an identity never seen alone gives NaN
        return {
            "mean": np.nanmean(areas_by_identity, axis=0),
            "median": np.nanmedian(areas_by_identity, axis=0),
            "std": np.nanstd(areas_by_identity, axis=0),
        }

