"""Clusters of an embedding that respect who was seen together.

Two fragments alive in the same frame are two animals, so they cannot be one identity. Plain
k-means on the images does not know this: where the embedding has not yet pulled every animal
apart and no frame shows every animal to start the centres from, it puts two animals in one
cluster and splits a third in two, and every image of those animals is then named wrongly with
confidence. Clustered as fragments, with coexisting fragments kept in different clusters, those
merges cannot happen. Offline, on the final contrastive encoders of bench sessions (starting
centres: one frame's fragments and k-means++ draws; against k-means++ with 10 restarts on the
images), the share of the long fragments' images in the right cluster went 0.775 -> 0.827 and
0.764 -> 0.849 on the crowded tank's seeds 1 and 2, 0.926 -> 0.913 on its seed 0, 0.79 -> 0.99 on
8_schooling_s1 and 0.40 -> 0.61 on 14_small_lookalike, with no coexisting pair left in one cluster.

Fragments are assigned surest first (margin between their two nearest centres, times images),
each to its nearest cluster that no fragment it coexists with holds already, and the centres
moved to their fragments' image-weighted means, until nothing changes.
"""

from __future__ import annotations

import numpy as np

from .coexistence import Coexistence

#: Assignment rounds at most (each: assign every fragment, move every centre).
MAX_ROUNDS = 20


def fragment_means(z: np.ndarray, image_fragment: np.ndarray, number_of_fragments: int) -> tuple[np.ndarray, np.ndarray]:
    """((F, D) mean embedding of each fragment's images, (F,) how many images each has here)."""
    counts = np.bincount(image_fragment, minlength=number_of_fragments)
    means = np.zeros((number_of_fragments, z.shape[1]))
    np.add.at(means, image_fragment, z)
    means /= np.maximum(counts, 1)[:, None]
    return means, counts


def seeded_centres(means: np.ndarray, counts: np.ndarray, anchors: np.ndarray, n: int,
                   rng: np.random.Generator) -> np.ndarray:
    """(n, D) starting centres: the ``anchors``' means (fragments known to be different animals,
    row k for anchor k; those without images here are drawn like the rest), then k-means++ draws
    over the fragments (probability by squared distance to the nearest centre, times images)."""
    seen = np.flatnonzero(counts > 0)
    centres = np.zeros((n, means.shape[1]))
    placed = np.zeros(n, bool)
    for k, f in enumerate(anchors[:n]):
        if counts[f] > 0:
            centres[k], placed[k] = means[f], True
    gap = np.full(len(seen), np.inf)  # squared distance of each fragment to its nearest centre
    for k in np.flatnonzero(placed):
        gap = np.minimum(gap, ((means[seen] - centres[k]) ** 2).sum(1))
    for k in np.flatnonzero(~placed):
        weight = gap * counts[seen] if placed.any() else counts[seen].astype(np.float64)
        total = weight.sum()
        pick = rng.choice(len(seen), p=weight / total) if total > 0 else rng.integers(len(seen))
        centres[k], placed[k] = means[seen[pick]], True
        gap = np.minimum(gap, ((means[seen] - centres[k]) ** 2).sum(1))
    return centres


def constrained_kmeans(means: np.ndarray, counts: np.ndarray, coexistence: Coexistence, centres: np.ndarray,
                       fixed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """((n, D) centres, (F,) cluster of each fragment, -1 without images) with no two coexisting
    fragments in one cluster where the greedy order allows (``_assign``); at most ``MAX_ROUNDS``
    rounds (a greedy assignment need not lower the spread every round).

    Args:
        means, counts: ``fragment_means``.
        coexistence: which fragments are alive in the same frames.
        centres: (n, D) starting centres.
        fixed: (n,) fragment held in cluster k for good (-1: none), e.g. the anchors.
    """
    centres = centres.copy()
    members = np.flatnonzero(counts > 0)
    fixed = np.full(len(centres), -1, np.int64) if fixed is None else np.asarray(fixed, np.int64)
    pinned = {int(f): k for k, f in enumerate(fixed) if f >= 0 and counts[f] > 0}
    cluster = np.full(len(means), -1, np.int64)
    for _ in range(MAX_ROUNDS):
        assigned = _assign(means[members], counts[members], members, coexistence, centres, pinned, len(means))
        for k in range(len(centres)):
            mine = members[assigned[members] == k]
            if len(mine):
                centres[k] = np.average(means[mine], axis=0, weights=counts[mine])
        if np.array_equal(assigned, cluster):
            break
        cluster = assigned
    return centres, cluster


def _assign(member_means: np.ndarray, member_counts: np.ndarray, members: np.ndarray, coexistence: Coexistence,
            centres: np.ndarray, pinned: dict[int, int], number_of_fragments: int) -> np.ndarray:
    """(F,) cluster of each member: pinned ones first, then surest first (margin between the two
    nearest centres, times images), each to the nearest cluster no coexisting fragment holds yet
    (the nearest of all where every cluster is held: more fragments than animals in a frame, or
    an earlier, surer choice that took the clusters this one could have had)."""
    distance = ((member_means[:, None] - centres[None]) ** 2).sum(2)
    ordered = np.sort(distance, axis=1)
    margin = (ordered[:, 1] - ordered[:, 0] if distance.shape[1] > 1 else ordered[:, 0]) * member_counts
    cluster = np.full(number_of_fragments, -1, np.int64)
    for f, k in pinned.items():
        cluster[f] = k
    for row in np.argsort(-margin, kind="stable"):
        f = int(members[row])
        if cluster[f] >= 0:
            continue
        held = cluster[coexistence.neighbours(f)]
        cost = distance[row].copy()
        cost[held[held >= 0]] = np.inf
        cluster[f] = int(np.argmin(cost)) if np.isfinite(cost).any() else int(np.argmin(distance[row]))
    return cluster
