"""Pooling unlabelled fragments with the animal they look like, across the whole video.

With many animals, accumulation stalls on the animals it knows from one short fragment: none of
their other fragments is ever certain on its own, so they stay unlabelled and the classifier never
learns them. Their fragments still resemble one another and the animal's few labelled images in
the classifier's feature space. Pooling is greedy agglomeration on those features: each identity
starts as one cluster (its labelled fragments), each candidate as its own; the most similar pair
of clusters is joined first, as long as no fragment of one coexists with a fragment of the other.
Measured at 100 animals: pooled fragments are right for about nine images in ten, against six in
ten for the best identity by the classifier's evidence among those left free; also requiring the
two to agree left twice as many errors once the classifier had learnt from the pool.

Memory stays linear in the number of candidates K (hours of video leave tens of thousands):
every candidate cluster is compared with every identity (a K x N table; a join recomputes one of
its rows or columns), but with other candidates only where one of its members is among the
``NEIGHBOURS`` most similar candidates of the other's members or the other way round (kept in a
heap whose outdated entries are skipped). Up to ``NEIGHBOURS`` + 1 candidates this is exact.
Measured with bench/pooling.py (100 animals, 2 cores): 10,000 candidates in 15 s, 30,000 in 78 s
and 1.1 GB; the exhaustive version (a full similarity matrix rescanned after every join) took 31 s
for 3,000 (this one: 1 s, with the same share right) and would need 7 GB for 30,000. On the
100-animal case's real candidates both pool exactly the same fragments.
"""

from __future__ import annotations

import heapq

import numpy as np

from .coexistence import Coexistence

#: Information (nats per image, ``identity_information``) the identity CNN trained on a pooling
#: round's labels must show on held-out images for them to be kept. Pooled labels are the
#: classifier's guesses, and it then learns them: where appearance cannot tell the animals apart
#: they are guesses it confirms (and motion can no longer undo). On the bench the look-alike cases
#: showed 0.017-0.174 after their pool (14 and 30 small look-alikes, 3 seeds each, and 8
#: look-alikes), and keeping it cost them 0-12 points (8 look-alikes: right on every image either
#: way); the crowded tank, whose pools are worth 5-16 points, 0.415 and more (2.55 on seed 0). The
#: bar lies in that gap, near its geometric middle.
MIN_POOLING_INFORMATION = 0.25
#: Candidates each candidate is compared with, besides every identity.
NEIGHBOURS = 32
#: Candidates per block when finding the nearest ones (a block holds BLOCK x K similarities).
BLOCK = 1024


class _Clusters:
    """Members, coexisting fragments, summed descriptors and unit centres of each cluster.

    Clusters 0..N-1 are the identities, the others start as one candidate each; a candidate
    cluster that joins another is absorbed by it, and a cluster's version counts its joins.
    """

    def __init__(self, groups: list[np.ndarray], descriptors: np.ndarray, coexistence: Coexistence):
        self.members = [set(g.tolist()) for g in groups]
        self.neighbours = [set(np.concatenate([coexistence.neighbours(f) for f in g] + [[]]).tolist()) for g in groups]
        self.sums = np.array([descriptors[g].sum(0) for g in groups])
        self.centres = _unit(self.sums)
        self.version = np.zeros(len(groups), np.int64)
        self.alive = np.ones(len(groups), bool)

    def coexist(self, a: int, b: int) -> bool:
        return not self.neighbours[a].isdisjoint(self.members[b])

    def join(self, source: int, target: int) -> None:
        self.members[target] |= self.members[source]
        self.neighbours[target] |= self.neighbours[source]
        self.sums[target] += self.sums[source]
        self.centres[target] = _unit(self.sums[target])
        self.version[target] += 1
        self.alive[source] = False


class _IdentityTable:
    """Similarity of every candidate cluster (rows) to every identity (columns), with each row's best."""

    def __init__(self, clusters: _Clusters, n: int):
        self.clusters, self.n = clusters, n
        self.similarity = clusters.centres[n:] @ clusters.centres[:n].T
        self.blocked = np.zeros(self.similarity.shape, bool)
        self.best_column = np.zeros(len(self.similarity), np.int64)
        self.best_value = np.full(len(self.similarity), -np.inf)
        self._refresh(np.arange(len(self.similarity)))

    def best(self) -> tuple[float, int, int]:
        """(similarity, candidate cluster, identity) of the most similar allowed pair."""
        if not len(self.best_value):
            return -np.inf, -1, -1
        row = int(np.argmax(self.best_value))
        return float(self.best_value[row]), row + self.n, int(self.best_column[row])

    def block(self, cluster: int, identity: int) -> None:
        self.blocked[cluster - self.n, identity] = True
        self._refresh(np.array([cluster - self.n]))

    def joined(self, source: int, target: int) -> None:
        """``source`` (a candidate cluster) is gone into ``target``: one row or column is new."""
        self.blocked[source - self.n] = True
        self._refresh(np.array([source - self.n]))
        if target >= self.n:
            row = target - self.n
            self.similarity[row] = self.clusters.centres[:self.n] @ self.clusters.centres[target]
            self._refresh(np.array([row]))
            return
        column = self.clusters.centres[self.n:] @ self.clusters.centres[target]
        self.similarity[:, target] = column
        allowed = ~self.blocked[:, target]
        better = allowed & (column > self.best_value)
        self.best_value[better], self.best_column[better] = column[better], target
        self._refresh(np.flatnonzero((self.best_column == target) & ~better))

    def _refresh(self, rows: np.ndarray) -> None:
        if not len(rows):
            return
        values = np.where(self.blocked[rows], -np.inf, self.similarity[rows])
        self.best_column[rows] = values.argmax(1)
        self.best_value[rows] = values[np.arange(len(rows)), self.best_column[rows]]


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def _neighbourhoods(centres: np.ndarray, k: int) -> list[np.ndarray]:
    """For each row, the rows among whose k most similar it is or that are among its k most similar
    (computed block by block, so memory stays at BLOCK x K similarities)."""
    k = min(k, len(centres) - 1)
    if k <= 0:
        return [np.zeros(0, np.int64) for _ in range(len(centres))]
    nearest = np.zeros((len(centres), k), np.int64)
    for start in range(0, len(centres), BLOCK):
        block = centres[start:start + BLOCK] @ centres.T
        block[np.arange(len(block)), np.arange(start, start + len(block))] = -np.inf
        nearest[start:start + len(block)] = np.argpartition(-block, k - 1, axis=1)[:, :k]
    rows = np.repeat(np.arange(len(centres)), k)
    a, b = np.concatenate([rows, nearest.ravel()]), np.concatenate([nearest.ravel(), rows])
    order = np.argsort(a, kind="stable")
    return np.split(b[order], np.cumsum(np.bincount(a, minlength=len(centres)))[:-1])


def pool_fragments(labels: np.ndarray, descriptors: np.ndarray, candidates: np.ndarray, coexistence: Coexistence,
                   number_of_identities: int) -> np.ndarray:
    """Labels with the candidates that joined an identity's cluster.

    Args:
        labels: (F,) current labels, -1 unlabelled; not modified.
        descriptors: (F, D) sum of each fragment's unit-length image features.
        candidates: unlabelled fragments to pool.
        coexistence: adjacency between the individual fragments.
        number_of_identities: N; clusters 0..N-1 are the identities.
    """
    n = number_of_identities
    groups = [np.flatnonzero(labels == i) for i in range(n)] + [np.array([f], np.int64) for f in candidates]
    clusters = _Clusters(groups, descriptors, coexistence)
    identities = _IdentityTable(clusters, n)
    adjacent = [near + n for near in _neighbourhoods(clusters.centres[n:], NEIGHBOURS)]
    owner = np.arange(len(groups))  # the cluster each candidate's own cluster went into
    pooled_members = {n + c: [n + c] for c in range(len(candidates))}
    heap: list[tuple[float, int, int, int, int]] = []
    for c in range(n, len(groups)):
        _push(heap, clusters, c, adjacent[c - n])
    while True:
        candidate_pair = _top(heap, clusters)
        value, source, target = identities.best()
        if candidate_pair is not None and candidate_pair[0] > value:
            heapq.heappop(heap)
            value, source, target = candidate_pair
        if value == -np.inf:
            break
        if clusters.coexist(source, target):
            if target < n:
                identities.block(source, target)
            continue
        clusters.join(source, target)
        identities.joined(source, target)
        moved = pooled_members.pop(source)
        owner[moved] = target
        if target >= n:
            pooled_members[target] += moved
            partners = owner[np.concatenate([adjacent[m - n] for m in pooled_members[target]])]
            _push(heap, clusters, target, partners[partners >= n])
    pooled = labels.copy()
    for identity in range(n):
        pooled[np.fromiter(clusters.members[identity], np.int64)] = identity
    return pooled


def _push(heap: list, clusters: _Clusters, cluster: int, partners: np.ndarray) -> None:
    """Heap entries for ``cluster`` against its live candidate-cluster ``partners`` at their current versions."""
    partners = np.unique(partners)
    partners = partners[clusters.alive[partners] & (partners != cluster)]
    values = clusters.centres[partners] @ clusters.centres[cluster]
    for other, value in zip(partners.tolist(), values.tolist()):
        a, b = min(cluster, other), max(cluster, other)
        heapq.heappush(heap, (-value, a, b, int(clusters.version[a]), int(clusters.version[b])))


def _top(heap: list, clusters: _Clusters) -> tuple[float, int, int] | None:
    """(similarity, source, target) of the best current candidate pair, dropping outdated entries."""
    while heap:
        negative, a, b, version_a, version_b = heap[0]
        if clusters.alive[a] and clusters.alive[b] and clusters.version[a] == version_a \
                and clusters.version[b] == version_b:
            return -negative, a, b
        heapq.heappop(heap)
    return None


def identity_information(accuracy: float, number_of_identities: int) -> float:
    """Lower bound (Fano's inequality) on the information, in nats, one image gives about its
    identity, from a classifier's accuracy among ``number_of_identities``: 0 at chance, log N when
    always right. Accuracy alone does not compare across N: 0.4 among 20 says more than 0.6 among 2."""
    n = number_of_identities
    if n < 2 or not np.isfinite(accuracy):
        return 0.0
    a = min(max(float(accuracy), 1.0 / n), 1.0)
    entropy = -sum(p * np.log(p) for p in (a, 1.0 - a) if p > 0)
    return max(float(np.log(n) - entropy - (1.0 - a) * np.log(n - 1)), 0.0)
