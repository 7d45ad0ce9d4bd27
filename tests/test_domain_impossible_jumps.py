"""Identity swaps that imply impossible speeds are undone."""

import numpy as np

from idtracker.domain.coexistence import Coexistence
from idtracker.domain.fragments import build_fragments
from idtracker.domain.impossible_jumps import correct_impossible_jumps, speed_limit


def _swapped_pair():
    """Two animals moving 1 px/frame at x=0 and x=100; fragments break at frame 10 (a crossing gap)."""
    frames, xs, chain = [], [], []
    for t in range(20):
        for x0 in (0, 100):
            frames.append(t)
            xs.append(x0 + t)
    frame = np.array(frames)
    centroid = np.column_stack([np.array(xs, float), np.zeros(len(xs))])
    links = [(i, i + 2) for i in range(len(frames) - 2) if frame[i] != 9]
    fragments = build_fragments(frame, np.array(links), np.ones(len(frames), bool))
    return fragments, centroid


def test_a_swap_after_a_crossing_is_undone():
    fragments, centroid = _swapped_pair()
    assert len(fragments) == 4  # A(x=0..9), B(x=100..), C(x=10..), D(x=110..)
    labels = np.array([0, 1, 1, 0])  # C and D got each other's identity
    probability = np.array([1.0, 1.0, 0.6, 0.6])
    evidence = np.array([[0, -9], [-9, 0], [-1, 0], [0, -1.0]])
    co = Coexistence.of(fragments.start, fragments.stop, np.arange(4))
    limit = speed_limit(fragments, centroid)
    assert 1.9 < limit < 2.1
    fixed, changed = correct_impossible_jumps(labels, probability, evidence, fragments, centroid, co, limit)
    assert fixed.tolist() == [0, 1, 0, 1] and changed == 2


def test_plausible_identities_are_left_alone():
    fragments, centroid = _swapped_pair()
    labels = np.array([0, 1, 0, 1])
    co = Coexistence.of(fragments.start, fragments.stop, np.arange(4))
    fixed, changed = correct_impossible_jumps(labels, np.ones(4), np.zeros((4, 2)), fragments, centroid, co,
                                              speed_limit(fragments, centroid))
    assert fixed.tolist() == labels.tolist() and changed == 0
