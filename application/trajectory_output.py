"""The trajectories dict of a session, from its identified blobs (idtracker.ai's keys and types)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from idtracker.domain.blobs import BlobTable
from idtracker.domain.trajectories import (area_statistics, positions_by_identity, values_by_identity,
                                          with_placed_positions)
from idtracker.domain.trajectory_record import trajectories_dict

from .settings import Settings


def trajectories_output(info: dict, settings: Settings, blobs: BlobTable, identities: np.ndarray, n_ids: int,
                        body_length: float, estimated_accuracy: float | None,
                        id_probabilities: np.ndarray | None = None, silhouette_score: float | None = None,
                        fragment_connectivity: float | None = None,
                        placed: dict[tuple[int, int], tuple[float, float]] | None = None,
                        identities_groups: dict[str, list[int]] | None = None) -> dict:
    """Build the output dict.

    Args:
        info: session facts (version, width, height, frames_per_second, number_of_frames).
        identities: (n_blobs,) int64 1-based identity per blob, 0 for none.
        id_probabilities: (n_blobs,) probability of each blob's identity; NaN (not computed) if None.
        placed: positions of identities followed through crossings, {(blob, identity): (x, y)};
            their probability is NaN (not computed), as in idtracker.ai; a blob's own identity
            there (a blob it shares with a hidden animal) keeps its probability.
        identities_groups: {"Region_k": identities} with exclusive ROIs.
    """
    frames = info["number_of_frames"]
    trajectories = with_placed_positions(positions_by_identity(frames, n_ids, blobs.frame, blobs.centroid, identities),
                                         blobs.frame, identities, placed or {})
    probs = np.full(len(blobs), np.nan) if id_probabilities is None else id_probabilities
    prob = values_by_identity(frames, n_ids, blobs.frame, identities, probs)
    prob[np.isnan(trajectories[..., 0])] = 0.0
    if placed:
        frames_of = np.array([blobs.frame[b] for b, _ in placed])
        ids_of = np.array([i - 1 for _, i in placed])
        prob[frames_of, ids_of] = np.where(np.isnan(prob[frames_of, ids_of]) | (prob[frames_of, ids_of] == 0), np.nan,
                                           prob[frames_of, ids_of])
    return trajectories_dict(
        trajectories=trajectories,
        id_probabilities=prob[..., None],
        version=info["version"],
        height=info["height"],
        width=info["width"],
        video_paths=[str(Path(p).resolve()) for p in settings.video_paths],
        frames_per_second=info["frames_per_second"],
        body_length=body_length,
        estimated_accuracy=estimated_accuracy,
        areas=area_statistics(values_by_identity(frames, n_ids, blobs.frame, identities, blobs.area)),
        silhouette_score=silhouette_score,
        fragment_connectivity=fragment_connectivity,
        identities_groups=identities_groups,
    )
