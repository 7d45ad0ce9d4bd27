"""Tracklets: individual fragments joined through the crossings that motion resolves for sure.

A fragment ends at every touch, and a short fragment of a small animal says little about who it
is. Where motion leaves no doubt which fragment that left a crossing continues which one that
entered it, the two are one animal: joined, they are identified together, with the images of
both, and keep one slot when tracking without identities. A tracklet spans from its first to its
last frame (the animal is inside a crossing blob in between), so whatever coexists with that
span is another animal, as for a fragment.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from .crossing_groups import CrossingGroup
from .fragments import Fragments, _roots
from .motion import FragmentEnds, MotionModel, join_log_likelihood, join_posterior


def sure_joins(groups: Sequence[CrossingGroup], model: MotionModel, ends: FragmentEnds,
               min_probability: float) -> tuple[np.ndarray, np.ndarray]:
    """(k, 2) (entering, leaving) fragment pairs of the most likely way through each crossing
    whose posterior is at least ``min_probability``, and (k,) those posteriors."""
    pairs, probability = [], []
    for group in groups:
        log_likelihood = join_log_likelihood(model, ends, group.entering, group.leaving)
        posterior = join_posterior(log_likelihood)
        rows, cols = linear_sum_assignment(-log_likelihood)
        for r, c in zip(rows, cols):
            if posterior[r, c] >= min_probability:
                pairs.append((group.entering[r], group.leaving[c]))
                probability.append(posterior[r, c])
    return np.array(pairs, np.int64).reshape(-1, 2), np.array(probability)


def join_fragments(fragments: Fragments, joins: np.ndarray) -> tuple[Fragments, np.ndarray]:
    """Fragments with each chain of ``joins`` (entering, leaving) made one; the (F,) tracklet id
    of every original fragment. Ids stay sorted by first frame."""
    pred = np.full(len(fragments), -1, np.int64)
    pred[joins[:, 1]] = joins[:, 0]
    roots = _roots(pred)
    root_ids, tracklet = np.unique(roots, return_inverse=True)
    order = np.argsort(fragments.start[root_ids], kind="stable")
    renumber = np.empty_like(order)
    renumber[order] = np.arange(len(order))
    tracklet = renumber[tracklet]
    count = len(root_ids)
    start = np.full(count, np.iinfo(np.int64).max)
    stop = np.zeros(count, np.int64)
    np.minimum.at(start, tracklet, fragments.start)
    np.maximum.at(stop, tracklet, fragments.stop)
    of_blob = tracklet[fragments.of_blob]
    rank = np.empty(len(fragments.blob_order), np.int64)
    rank[fragments.blob_order] = np.arange(len(fragments.blob_order))
    frame = fragments.start[fragments.of_blob] + rank - fragments.offsets[fragments.of_blob]
    blob_order = np.lexsort((frame, of_blob))
    offsets = np.concatenate([[0], np.cumsum(np.bincount(of_blob, minlength=count))]).astype(np.int64)
    is_individual = np.zeros(count, bool)
    is_individual[tracklet] = fragments.is_individual
    return Fragments(of_blob.astype(np.int64), start, stop, is_individual, blob_order.astype(np.int64),
                     offsets), tracklet.astype(np.int64)


def tracklet_groups(groups: Sequence[CrossingGroup], tracklet: np.ndarray) -> list[CrossingGroup]:
    """The crossing groups in tracklet ids, without those every animal came through joined."""
    out = []
    for group in groups:
        entering, leaving = np.sort(tracklet[group.entering]), np.sort(tracklet[group.leaving])
        if not np.array_equal(entering, leaving):
            out.append(CrossingGroup(entering, leaving))
    return out
