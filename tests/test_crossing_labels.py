"""Training labels of the crossing detector, on hand-made blob tables (areas, frames, links)."""

import numpy as np

from idtracker.domain.area_model import AreaModel
from idtracker.domain.crossing_labels import (
    CrossingLabels,
    ambiguous_by_area,
    balanced_training_set,
    crossing_labels,
)

ONE_ANIMAL = AreaModel(median=100.0, std=5.0)


def _labels(areas, frames, links, n):
    links = np.array(links, np.int64).reshape(-1, 2)
    return crossing_labels(np.array(areas, float), np.array(frames, np.int64), links, n, ONE_ANIMAL)


def test_two_animals_merging_and_splitting_give_individuals_and_a_crossing():
    # frame:  0      1      2     3     4
    # blobs:  0, 1   2, 3   4     5     6, 7    (4 and 5: the two animals touching)
    areas = [100, 98, 101, 99, 200, 205, 100, 102]
    frames = [0, 0, 1, 1, 2, 3, 4, 4]
    links = [[0, 2], [1, 3], [2, 4], [3, 4], [4, 5], [5, 6], [5, 7]]
    labels = _labels(areas, frames, links, 2)
    assert labels.sure_individual.tolist() == [True] * 4 + [False, False] + [True] * 2
    assert labels.sure_crossing.tolist() == [False] * 4 + [True, True] + [False] * 2


def test_frame_whose_areas_add_up_to_n_animals_is_labelled_by_area():
    # three animals, two blobs: one animal-sized, one twice that size
    labels = _labels([100, 195], [0, 0], [], 3)
    assert labels.sure_individual.tolist() == [True, False]
    assert labels.sure_crossing.tolist() == [False, True]


def test_large_blob_without_count_or_topology_evidence_stays_uncertain():
    # three animals, one blob of two animals' size and nothing else seen: an animal is missing,
    # so the frame is not explained, and no merge or split backs the area up
    labels = _labels([200], [0], [], 3)
    assert labels.uncertain.tolist() == [True]


def test_animal_sized_blob_in_an_unexplained_frame_stays_uncertain():
    labels = _labels([100, 100], [0, 0], [], 3)
    assert labels.uncertain.tolist() == [True, True]


def test_animal_between_a_split_and_a_merge_is_a_sure_individual():
    # three animals, the third never detected: no frame is explained by counts
    # frame 0: crossing 0 splits into 1 and 2; they run on (3, 4), then merge into 5
    areas = [200, 100, 100, 100, 100, 200]
    frames = [0, 1, 1, 2, 2, 3]
    links = [[0, 1], [0, 2], [1, 3], [2, 4], [3, 5], [4, 5]]
    labels = _labels(areas, frames, links, 3)
    assert labels.sure_individual.tolist() == [False, True, True, True, True, False]
    assert labels.sure_crossing.tolist() == [True, False, False, False, False, True]


def test_large_blob_chained_to_a_merge_is_a_sure_crossing():
    # three animals, one undetected; two merge (2), the crossing goes on (3), then vanishes
    areas = [100, 100, 200, 210]
    frames = [0, 0, 1, 2]
    links = [[0, 2], [1, 2], [2, 3]]
    labels = _labels(areas, frames, links, 3)
    assert labels.sure_crossing.tolist() == [False, False, True, True]
    assert labels.uncertain.tolist() == [True, True, False, False]


def test_blobs_of_a_frame_with_n_blobs_are_individuals_whatever_the_topology():
    labels = _labels([100, 100, 100], [0, 1, 1], [[0, 1], [0, 2]], 2)
    assert labels.sure_individual[1:].all()
    assert not labels.sure_crossing.any()


def test_only_uncertain_areas_between_the_classes_are_ambiguous():
    labels = CrossingLabels(np.array([True, True, False, False, False, False]),
                            np.array([False, False, True, False, False, False]))
    areas = np.array([100.0, 110.0, 190.0, 150.0, 95.0, 250.0])
    assert ambiguous_by_area(areas, labels).tolist() == [False, False, False, True, False, False]


def test_overlapping_classes_make_their_overlap_ambiguous():
    labels = CrossingLabels(np.array([True, False, False]), np.array([False, True, False]))
    assert ambiguous_by_area(np.array([160.0, 140.0, 150.0]), labels).tolist() == [False, False, True]


def test_training_set_is_balanced_capped_and_reproducible():
    labels = CrossingLabels(np.arange(100) < 80, np.arange(100) >= 80)
    chosen, classes = balanced_training_set(labels, cap=15, seed=0)
    assert np.bincount(classes).tolist() == [15, 15]
    assert labels.sure_individual[chosen[classes == 0]].all() and labels.sure_crossing[chosen[classes == 1]].all()
    assert len(set(chosen.tolist())) == 30
    assert np.array_equal(chosen, balanced_training_set(labels, cap=15, seed=0)[0])
    assert len(balanced_training_set(labels, cap=3000, seed=0)[0]) == 40
