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
from .motion import MAX_EXACT_GROUP, FragmentEnds, MotionModel, join_log_likelihood, join_posterior, pair_log_likelihood, unrelated_log_likelihood


def most_likely_joins(groups: Sequence[CrossingGroup], model: MotionModel, ends: FragmentEnds) -> np.ndarray:
    """(k, 2) (entering, leaving) pairs of the most likely way through every crossing."""
    pairs = []
    for group in groups:
        log_likelihood = join_log_likelihood(model, ends, group.entering, group.leaving)
        rows, cols = best_way(log_likelihood)
        pairs += [(group.entering[r], group.leaving[c]) for r, c in zip(rows, cols)]
    return np.array(pairs, np.int64).reshape(-1, 2)


def best_way(log_likelihood: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the most likely one-to-one way, without impossible (-inf) pairs."""
    finite = np.isfinite(log_likelihood)
    rows, cols = linear_sum_assignment(-np.where(finite, log_likelihood, -1e12))
    keep = finite[rows, cols]
    return rows[keep], cols[keep]


def sure_joins(groups: Sequence[CrossingGroup], model: MotionModel, ends: FragmentEnds,
               min_probability: float) -> tuple[np.ndarray, np.ndarray]:
    """(k, 2) (entering, leaving) fragment pairs of the most likely way through each crossing
    whose posterior is at least ``min_probability``, and (k,) those posteriors. Only groups small
    enough for exact posteriors (``MAX_EXACT_GROUP``) are joined when a bar is set: balanced
    approximations of large ones were overconfident on the bench."""
    pairs, probability = [], []
    for group in groups:
        if min_probability > 0 and len(group.entering) > MAX_EXACT_GROUP:
            continue
        log_likelihood = join_log_likelihood(model, ends, group.entering, group.leaving)
        posterior = join_posterior(log_likelihood)
        rows, cols = best_way(log_likelihood)
        for r, c in zip(rows, cols):
            if posterior[r, c] >= min_probability:
                pairs.append((group.entering[r], group.leaving[c]))
                probability.append(posterior[r, c])
    return np.array(pairs, np.int64).reshape(-1, 2), np.array(probability)


def gap_candidates(fragments: Fragments, model: MotionModel, ends: FragmentEnds,
                   max_gap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ways across gaps no crossing bookkeeping covers (an animal lost for a few frames, or hidden
    in a crossing where not as many left as entered): (k, 2) (ending, starting) fragment pairs, (k,)
    their motion log-odds against an unrelated animal and (k,) their posteriors.

    Every individual fragment that ends before the video does may continue as one that starts at
    most ``max_gap`` frames later, or as none of them. A pair's posterior is the smaller of its
    share among the ending fragment's options and among the starting fragment's.
    """
    individual = np.flatnonzero(fragments.is_individual)
    empty = np.zeros((0, 2), np.int64), np.zeros(0), np.zeros(0)
    if len(individual) == 0:
        return empty
    first, last = fragments.start[individual].min(), fragments.stop[individual].max() - 1
    ending = individual[ends.last_frame[individual] < last]
    starting = individual[ends.first_frame[individual] > first]
    starting = starting[np.argsort(ends.first_frame[starting], kind="stable")]
    start_frames = ends.first_frame[starting]
    pairs = []
    for e in ending:
        lo = np.searchsorted(start_frames, ends.last_frame[e], side="right")
        hi = np.searchsorted(start_frames, ends.last_frame[e] + max_gap, side="right")
        pairs += [(e, s) for s in starting[lo:hi]]
    if not pairs:
        return empty
    pairs = np.array(pairs, np.int64)
    odds = (pair_log_likelihood(model, ends, pairs[:, 0], pairs[:, 1])
            - unrelated_log_likelihood(model, ends, pairs[:, 0], pairs[:, 1]))
    weight = np.exp(np.minimum(odds, 700.0))
    by_end = np.bincount(pairs[:, 0], weight, minlength=len(fragments))
    by_start = np.bincount(pairs[:, 1], weight, minlength=len(fragments))
    posterior = np.minimum(weight / (1 + by_end[pairs[:, 0]]), weight / (1 + by_start[pairs[:, 1]]))
    return pairs, odds, posterior


def gap_joins(fragments: Fragments, model: MotionModel, ends: FragmentEnds, max_gap: int,
              min_probability: float) -> tuple[np.ndarray, np.ndarray]:
    """(k, 2) (ending, starting) fragment pairs joined across gaps (``gap_candidates``), and (k,)
    their posteriors: taken surest first, each fragment once, when their posterior reaches
    ``min_probability`` and their odds favour the join (``min_probability`` 0: the most likely
    joins, for tracking without identities)."""
    pairs, odds, posterior = gap_candidates(fragments, model, ends, max_gap)
    used_end, used_start = np.zeros(len(fragments), bool), np.zeros(len(fragments), bool)
    chosen = []
    for k in np.argsort(-odds, kind="stable"):
        e, s = pairs[k]
        if odds[k] > 0 and posterior[k] >= min_probability and not used_end[e] and not used_start[s]:
            used_end[e] = used_start[s] = True
            chosen.append(k)
    return pairs[chosen].reshape(-1, 2), posterior[chosen]


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


def tracklet_groups(groups: Sequence[CrossingGroup], tracklet: np.ndarray, fragments: Fragments) -> list[CrossingGroup]:
    """The crossing groups in tracklet ids, each with only its open passages (``open_passages``):
    without those every animal came through joined."""
    out = []
    for group in groups:
        entering, leaving = open_passages(group, tracklet, fragments)
        if len(entering):
            out.append(CrossingGroup(np.sort(tracklet[entering]), np.sort(tracklet[leaving])))
    return out


def open_passages(group: CrossingGroup, tracklet: np.ndarray, fragments: Fragments) -> tuple[np.ndarray, np.ndarray]:
    """The fragments entering and leaving ``group`` that no tracklet joins through it.

    A tracklet seen on both sides came through: as many of its entrances and exits as it has of
    both cancel (the animal is the same on each side, whichever fragment it was). What remains is
    open: the tracklet's last entrances (an animal that left a long crossing briefly and entered
    it again, its crossings linked through the others, is open on its return) or its first exits.
    Each cancellation takes one fragment from each side, so a balanced group stays balanced."""
    entering, leaving = group.entering, group.leaving
    keep_in, keep_out = np.ones(len(entering), bool), np.ones(len(leaving), bool)
    for t in np.intersect1d(tracklet[entering], tracklet[leaving]):
        mine_in = np.flatnonzero(tracklet[entering] == t)
        mine_out = np.flatnonzero(tracklet[leaving] == t)
        k = min(len(mine_in), len(mine_out))
        keep_in[mine_in[np.argsort(fragments.stop[entering[mine_in]], kind="stable")[:k]]] = False
        keep_out[mine_out[np.argsort(-fragments.start[leaving[mine_out]], kind="stable")[:k]]] = False
    return np.sort(entering[keep_in]), np.sort(leaving[keep_out])


def chain_joins(tracklet: np.ndarray, start: np.ndarray) -> np.ndarray:
    """(k, 2) (earlier, later) consecutive fragments of every tracklet: the joins that made them.

    Args:
        tracklet: (F,) tracklet of each fragment.
        start: (F,) first frame of each fragment (members of a tracklet follow one another).
    """
    order = np.lexsort((start, tracklet))
    same = tracklet[order[1:]] == tracklet[order[:-1]]
    return np.stack([order[:-1][same], order[1:][same]], 1).astype(np.int64)

