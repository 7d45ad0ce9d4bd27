"""Coexistence: fragments alive at the same time, and units joined from fragments with gaps."""

import numpy as np
from idtracker.domain.coexistence import Coexistence


def test_fragments_coexist_when_their_spans_overlap():
    co = Coexistence.of(np.array([0, 5, 10]), np.array([10, 12, 20]), np.arange(3))
    assert co.neighbours(0).tolist() == [1]
    assert co.neighbours(1).tolist() == [0, 2]
    assert co.neighbours(2).tolist() == [1]


def test_a_unit_joined_across_a_gap_does_not_coexist_with_what_is_seen_in_the_gap():
    """Unit 0 is fragments [0, 10) and [12, 20); unit 1 is seen in the gap, [10, 12); unit 2
    spans [5, 15). By spans, unit 0 ([0, 20)) would coexist with unit 1; by its parts it does not."""
    start, stop = np.array([0, 12, 10, 5]), np.array([10, 20, 12, 15])
    owner = np.array([0, 0, 1, 2])
    co = Coexistence.of_parts(start, stop, np.arange(4), owner, 3)
    assert co.neighbours(0).tolist() == [2]
    assert co.neighbours(1).tolist() == [2]
    assert co.neighbours(2).tolist() == [0, 1]
    spans = Coexistence.of(np.array([0, 10, 5]), np.array([20, 12, 15]), np.arange(3))
    assert 1 in spans.neighbours(0)  # what the spans of whole units said


def test_only_members_are_related():
    start, stop = np.array([0, 0, 0]), np.array([5, 5, 5])
    co = Coexistence.of_parts(start, stop, np.array([0, 2]), np.array([0, 1, 2]), 3)
    assert co.neighbours(0).tolist() == [2] and co.neighbours(1).tolist() == []
