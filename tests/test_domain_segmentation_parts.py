"""Episodes, overlap linking and the area model on small arrays."""

import numpy as np
from idtracker.domain.area_model import classify_individuals
from idtracker.domain.episodes import normalise_intervals, plan_episodes, tracked_frames_mask
from idtracker.domain.linking import overlapping_pairs


def test_episodes_never_span_two_files():
    eps = plan_episodes([0, 300, 700], [(0, 700)], 500)
    assert all(e.stop <= 300 or e.start >= 300 for e in eps)
    assert [(e.start, e.stop, e.file_index, e.local_start) for e in eps] == [(0, 300, 0, 0), (300, 700, 1, 0)]


def test_episode_length_bounded_and_nearly_equal():
    eps = plan_episodes([0, 501], [(0, 501)], 500)
    assert [(e.start, e.stop) for e in eps] == [(0, 250), (250, 501)]
    eps = plan_episodes([0, 1000], [(0, 1000)], 100)
    assert max(e.length for e in eps) <= 100 and sum(e.length for e in eps) == 1000


def test_episodes_stay_inside_tracking_intervals():
    intervals = normalise_intervals([(150, 200), (0, 100)], 1000)
    eps = plan_episodes([0, 1000], intervals, 500)
    assert [(e.start, e.stop) for e in eps] == [(0, 100), (150, 200)]
    assert tracked_frames_mask(intervals, 1000).sum() == 150


def test_intervals_are_clipped_and_merged():
    assert normalise_intervals([(0, 50), (40, 80), (900, 2000)], 1000) == [(0, 80), (900, 1000)]
    assert normalise_intervals(None, 10) == [(0, 10)]


def test_blobs_link_only_when_pixels_overlap():
    square = np.ones((4, 4), bool)
    diagonal = np.eye(4, dtype=bool)
    prev_boxes = np.array([[0, 0, 4, 4], [10, 10, 4, 4]])
    cur_boxes = np.array([[2, 2, 4, 4], [13, 13, 4, 4]])
    pairs = overlapping_pairs(prev_boxes, [square, diagonal], cur_boxes, [square, diagonal])
    # boxes of the second pair intersect only at the corner pixel (13, 13): prev diagonal has it, cur diagonal too
    assert pairs.tolist() == [[0, 0], [1, 1]]
    ring = np.ones((4, 4), bool)
    ring[1:3, 1:3] = False
    pairs = overlapping_pairs(np.array([[0, 0, 4, 4]]), [ring], np.array([[1, 1, 2, 2]]), [np.ones((2, 2), bool)])
    assert len(pairs) == 0


def test_large_blob_is_a_crossing_by_area():
    areas = np.array([100, 102, 98, 101, 99, 250.0])
    per_frame = np.array([2, 2, 2, 2, 1, 1])
    individual, model = classify_individuals(areas, per_frame, 2)
    assert model.median == 100.5
    assert individual.tolist() == [True] * 5 + [False]


def test_uniform_animals_are_individuals_even_with_zero_area_spread():
    areas = np.array([150.0, 150.0, 150.0, 300.0])
    individual, _ = classify_individuals(areas, np.array([3, 3, 3, 2]), 3)
    assert individual.tolist() == [True, True, True, False]


def test_crossings_are_told_by_area_where_no_frame_shows_every_animal_apart():
    """A crowded tank of 5 animals that never shows 5 blobs: frames of 4 blobs (three animals
    apart, one pair) and of 3. The frames with the most blobs fix the single-animal area robustly,
    so every pair is a crossing; a deviation over all blobs (the pairs in it) let pairs pass."""
    rng = np.random.default_rng(0)
    areas, per_frame = [], []
    for frame in range(200):
        apart = 3 if frame % 2 else 1
        pairs = (5 - apart) // 2
        areas += list(rng.normal(100, 5, apart)) + list(rng.normal(190, 10, pairs))
        per_frame += [apart + pairs] * (apart + pairs)
    areas, per_frame = np.array(areas), np.array(per_frame)
    pair = areas > 150
    individual, model = classify_individuals(areas, per_frame, 5)
    assert abs(model.median - 100) < 5 and model.std < 10
    assert not individual[pair].any() and individual[~pair].all()
    # A frame with more blobs than animals (an animal in pieces) does not take over the fit.
    with_pieces = np.concatenate([areas, [100.0, 100.0, 8.0, 190.0, 190.0, 190.0]])
    per_frame = np.concatenate([per_frame, np.full(6, 6)])
    individual, model = classify_individuals(with_pieces, per_frame, 5)
    assert abs(model.median - 100) < 5 and not individual[with_pieces > 150].any()
