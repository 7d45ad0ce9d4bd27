"""Tracking without identities: slots follow animals by motion across what the joins left open."""

from __future__ import annotations

import numpy as np
from idtracker.application.identities import identities_without_identification
from idtracker.domain.fragments import build_fragments
from idtracker.domain.motion import fragment_ends, learn_motion

FRAMES, MEET, HIDDEN = 120, 60, 6


def _lost_while_crossing(rng: np.random.Generator):
    """Two animals on crossing straight paths, unseen for HIDDEN frames where they meet; after it
    the second animal's blob is listed first. Returns frames, centroids, areas, links, animals."""
    t = np.arange(FRAMES) - MEET
    paths = [np.column_stack([200 + 3 * t * np.cos(h), 200 + 3 * t * np.sin(h)]) + rng.normal(0, 0.3, (FRAMES, 2))
             for h in (0.4, -0.4)]
    frame, centroid, animal, index = [], [], [], {}
    for k in range(FRAMES):
        if MEET - HIDDEN // 2 <= k < MEET + HIDDEN // 2:
            continue
        for a in ((1, 0) if k >= MEET else (0, 1)):
            index[(k, a)] = len(frame)
            frame.append(k)
            centroid.append(paths[a][k])
            animal.append(a)
    links = [(index[(k, a)], index[(k + 1, a)]) for (k, a) in index if (k + 1, a) in index]
    area = 100.0 * rng.uniform(0.97, 1.03, len(frame))
    return np.array(frame), np.array(centroid), area, np.array(links, np.int64), np.array(animal)


def test_each_animal_keeps_its_slot_across_a_gap_by_motion_where_the_lowest_free_slot_swaps_them():
    frame, centroid, area, links, animal = _lost_while_crossing(np.random.default_rng(0))
    fragments = build_fragments(frame, links, np.ones(len(frame), bool))
    model = learn_motion(fragments, centroid, area)
    assert model is not None
    ends = fragment_ends(fragments, centroid, area)
    identities, slots = identities_without_identification(fragments, model, ends)
    assert slots == 2
    for a in (0, 1):
        assert len(np.unique(identities[animal == a])) == 1
    lowest, _ = identities_without_identification(fragments)
    assert len(np.unique(lowest[animal == 0])) == 2  # without motion the slots swap: the test can fail
