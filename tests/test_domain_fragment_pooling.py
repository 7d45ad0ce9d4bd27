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
