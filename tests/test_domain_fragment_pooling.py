"""Pooling unlabelled fragments with the identities they resemble, and dropping rejected labels."""

import numpy as np

from idtracker.domain.coexistence import Coexistence
from idtracker.domain.fragment_pooling import pool_fragments
from idtracker.domain.identity_assignment import contradicted_labels

LOOKS = np.array([[1.0, 0.0, 0.1], [0.0, 1.0, 0.1]])


def _scene(spans: list[tuple[int, int]]) -> Coexistence:
    start, stop = np.array(spans).T
    return Coexistence.of(start, stop, np.arange(len(spans)))


def test_candidates_join_the_identity_they_look_like():
    co = _scene([(0, 10), (0, 10), (20, 30), (20, 30)])
    labels = np.array([0, 1, -1, -1])
    descriptors = np.array([LOOKS[0], LOOKS[1], 0.9 * LOOKS[1] + 0.1, LOOKS[0] + 0.2]) * 5
    pooled = pool_fragments(labels, descriptors, np.array([2, 3]), co, 2)
    assert pooled.tolist() == [0, 1, 1, 0]
    assert labels.tolist() == [0, 1, -1, -1]


def test_coexisting_candidates_never_join_one_identity():
    co = _scene([(0, 10), (0, 10), (20, 30), (20, 30)])
    labels = np.array([0, 1, -1, -1])
    descriptors = np.array([LOOKS[0], LOOKS[1], LOOKS[0], 0.8 * LOOKS[0] + 0.2 * LOOKS[1]])
    pooled = pool_fragments(labels, descriptors, np.array([2, 3]), co, 2)
    assert pooled.tolist() == [0, 1, 0, 1]


def test_a_candidate_never_joins_an_identity_a_coexisting_fragment_holds():
    co = _scene([(0, 10), (0, 30), (20, 30)])
    labels = np.array([0, 1, -1])
    descriptors = np.array([LOOKS[0], LOOKS[1], LOOKS[1]])
    pooled = pool_fragments(labels, descriptors, np.array([2]), co, 2)
    assert pooled.tolist() == [0, 1, 0]


def test_candidates_pool_together_before_joining_an_identity():
    # 2 and 3 (one animal, apart in time) resemble each other more than any identity; 4 coexists
    # with 2 and looks like identity 0, so 2+3 can only be identity 1.
    co = _scene([(0, 10), (0, 10), (20, 30), (40, 50), (20, 30)])
    labels = np.array([0, 1, -1, -1, -1])
    descriptors = np.array([LOOKS[0], LOOKS[1], [0.5, 0.5, 1.0], [0.5, 0.5, 1.0], LOOKS[0]])
    pooled = pool_fragments(labels, descriptors, np.array([2, 3, 4]), co, 2)
    assert pooled.tolist() == [0, 1, 1, 1, 0]


def test_labels_the_images_reject_by_a_margin_are_contradicted():
    labels = np.array([0, 1, 0, 1])
    n_images = np.array([10, 10, 10, 10])
    evidence = np.array([[0.0, -30], [-30, 0.0], [-30, 0.0], [-2.0, 0.0]])
    assert contradicted_labels(labels, evidence, n_images, protected=np.array([0, 1])).tolist() == [2]
    assert contradicted_labels(labels, evidence, n_images, protected=np.array([2])).tolist() == []


def _exhaustive_pooling(labels, descriptors, candidates, co, n):
    """The definition, by brute force: join the most similar allowed pair of clusters (never two
    identities, never coexisting members) until none is left, recomputing every centre each time."""
    clusters = [set(np.flatnonzero(labels == i).tolist()) for i in range(n)] + [{int(f)} for f in candidates]
    while True:
        centres = [descriptors[sorted(c)].sum(0) for c in clusters]
        centres = [c / max(np.linalg.norm(c), 1e-12) for c in centres]
        pairs = [(float(centres[a] @ centres[b]), a, b) for a in range(n, len(clusters)) for b in range(len(clusters))
                 if b != a and clusters[a] and clusters[b]
                 and not any(g in clusters[b] for f in clusters[a] for g in co.neighbours(f))]
        if not pairs:
            break
        _, a, b = max(pairs)
        clusters[b] |= clusters[a]
        clusters[a] = set()
    pooled = labels.copy()
    for i in range(n):
        pooled[sorted(clusters[i])] = i
    return pooled


def test_pooling_equals_the_exhaustive_greedy_agglomeration_beyond_the_neighbourhoods():
    # 4 animals seen apart in 16 periods: one labelled fragment each in the first, 60 candidates after
    # (more than NEIGHBOURS + 1, so candidates are compared along their neighbourhoods only).
    rng = np.random.default_rng(3)
    n, periods = 4, 16
    truth = np.tile(np.arange(n), periods)
    spans = [(10 * p, 10 * p + 8) for p in np.repeat(np.arange(periods), n)]
    co = _scene(spans)
    descriptors = rng.normal(size=(n, 8))[truth] + 0.6 * rng.normal(size=(len(truth), 8))
    labels = np.where(np.arange(len(truth)) < n, truth, -1)
    candidates = np.arange(n, len(truth))
    pooled = pool_fragments(labels, descriptors, candidates, co, n)
    assert pooled.tolist() == _exhaustive_pooling(labels, descriptors, candidates, co, n).tolist()
    assert (pooled[candidates] == truth[candidates]).mean() > 0.9
