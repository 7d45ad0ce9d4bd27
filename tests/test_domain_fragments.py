"""Fragments, global fragments and slots built from hand-made blob tables."""

import numpy as np
from idtracker.domain.fragments import build_fragments
from idtracker.domain.global_fragments import build_global_fragments, is_accumulable
from idtracker.domain.slots import assign_slots


def _two_fish_crossing():
    """Two animals for 3 frames, merged for 2 frames, apart again for 3 frames.

    Blob indices: frames 0-2 -> (0,1), (2,3), (4,5); frames 3-4 -> 6, 7; frames 5-7 -> (8,9), (10,11), (12,13).
    """
    frame = np.array([0, 0, 1, 1, 2, 2, 3, 4, 5, 5, 6, 6, 7, 7])
    links = np.array([[0, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 6], [6, 7], [7, 8], [7, 9],
                      [8, 10], [9, 11], [10, 12], [11, 13]])
    individual = np.array([True] * 6 + [False] * 2 + [True] * 6)
    return frame, links, individual


def test_fragment_ends_where_blobs_merge():
    frame, links, individual = _two_fish_crossing()
    fr = build_fragments(frame, links, individual)
    assert len(fr) == 5
    assert list(fr.start) == [0, 0, 3, 5, 5]
    assert list(fr.stop) == [3, 3, 5, 8, 8]
    assert list(fr.is_individual) == [True, True, False, True, True]
    assert list(fr.blobs(2)) == [6, 7]


def test_fragment_ids_follow_start_frame_order():
    frame, links, individual = _two_fish_crossing()
    fr = build_fragments(frame, links, individual)
    assert np.all(np.diff(fr.start) >= 0)
    assert list(fr.n_images) == [3, 3, 2, 3, 3]


def test_fragment_breaks_when_blob_kind_changes():
    frame = np.array([0, 1, 2])
    links = np.array([[0, 1], [1, 2]])
    fr = build_fragments(frame, links, np.array([True, False, True]))
    assert len(fr) == 3


def test_global_fragments_are_runs_of_frames_with_all_animals_apart():
    frame, links, individual = _two_fish_crossing()
    fr = build_fragments(frame, links, individual)
    gfs = build_global_fragments(frame, fr, 8, 2)
    assert [(g.start, g.stop) for g in gfs] == [(0, 3), (5, 8)]
    assert [list(g.fragments) for g in gfs] == [[0, 1], [3, 4]]
    assert not is_accumulable(gfs[0], fr)  # 3 images < 4


def test_no_global_fragments_when_number_of_animals_unknown():
    frame, links, individual = _two_fish_crossing()
    fr = build_fragments(frame, links, individual)
    assert build_global_fragments(frame, fr, 8, 0) == []


def test_slots_are_reused_after_a_fragment_ends_and_crossings_get_none():
    start = np.array([0, 0, 3, 5, 5])
    stop = np.array([3, 3, 5, 8, 8])
    slots = assign_slots(start, stop, np.array([True, True, False, True, True]))
    assert list(slots) == [0, 1, -1, 0, 1]


def test_slots_never_shared_by_coexisting_fragments():
    rng = np.random.default_rng(0)
    start = np.sort(rng.integers(0, 100, 200))
    stop = start + rng.integers(1, 30, 200)
    slots = assign_slots(start, stop, np.ones(200, bool))
    for s in np.unique(slots):
        spans = sorted(zip(start[slots == s], stop[slots == s]))
        assert all(a_stop <= b_start for (_, a_stop), (b_start, _) in zip(spans, spans[1:]))
    max_alive = max(((start <= t) & (stop > t)).sum() for t in range(130))
    assert slots.max() + 1 == max_alive


def test_slots_follow_the_fragment_each_starting_one_most_likely_continues():
    """Two animals swap sides in a crossing: the fragments after it take the slots of the ones
    they continue (by the continuation score), not the lowest free ones."""
    start, stop = np.array([0, 0, 3, 5, 5]), np.array([3, 3, 5, 8, 8])
    continues = {(0, 4), (1, 3)}

    def continuation(before, after):
        return np.array([[0.0 if (b, a) in continues else -10.0 for a in after] for b in before])

    slots = assign_slots(start, stop, np.array([True, True, False, True, True]), continuation)
    assert list(slots) == [0, 1, -1, 1, 0]
    assert list(assign_slots(start, stop, np.array([True, True, False, True, True]))) == [0, 1, -1, 0, 1]


def test_a_later_fragment_takes_the_free_slot_it_continues_not_the_lowest():
    start, stop = np.array([0, 0, 0, 4]), np.array([3, 9, 3, 9])

    def continuation(before, after):
        return np.where(before[:, None] == 2, 0.0, -5.0) + np.zeros(len(after))[None]

    assert list(assign_slots(start, stop, np.ones(4, bool), continuation)) == [0, 1, 2, 2]


def test_slots_with_a_continuation_are_never_shared_and_as_few_as_without():
    rng = np.random.default_rng(1)
    start = np.sort(rng.integers(0, 100, 200))
    stop = start + rng.integers(1, 30, 200)
    score = rng.normal(size=(200, 200))
    score[rng.random((200, 200)) < 0.2] = -np.inf  # impossible continuations are still given a slot
    slots = assign_slots(start, stop, np.ones(200, bool), lambda before, after: score[np.ix_(before, after)])
    for s in np.unique(slots):
        spans = sorted(zip(start[slots == s], stop[slots == s]))
        assert all(a_stop <= b_start for (_, a_stop), (b_start, _) in zip(spans, spans[1:]))
    assert slots.max() + 1 == max(((start <= t) & (stop > t)).sum() for t in range(130))
