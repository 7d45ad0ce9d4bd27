"""After identification: a crossing motion joined the wrong way round is revised by the looks, and
the looks are believed as far as they predict motion's sure ways without having been taught them."""

from __future__ import annotations

import numpy as np
from idtracker.application.accumulation import Identification
from idtracker.adapters.events.memory_sink import InMemoryEventSink
from idtracker.application import events as ev
from idtracker.application.motion_fusion import fuse_motion_and_appearance, revise_joins
from idtracker.application.motion_joins import JoinedFragments
from idtracker.domain.blobs import BlobTable
from idtracker.domain.crossing_groups import crossing_groups
from idtracker.domain.fragments import build_fragments
from idtracker.domain.identity_assignment import fragment_evidence
from idtracker.domain.motion import fragment_ends, learn_motion
from idtracker.domain.motion_fusion import APPEARANCE_WEIGHTS
from idtracker.domain.tracklets import join_fragments, sure_joins, tracklet_groups

FRAMES, SPEED, WALLS, MERGED_PX = 700, 3.0, (40.0, 360.0), 6.0


def _corridor(rng: np.random.Generator) -> np.ndarray:
    """(FRAMES, 2, 2) two animals swimming to and fro along one corridor, turning at its walls, so
    they meet head on again and again and pass each other, except at their third meeting, where
    they bounce off each other (each turns back)."""
    x, v = np.array([WALLS[0], WALLS[1]]), np.array([SPEED, -SPEED])
    positions, meetings, apart = np.zeros((FRAMES, 2, 2)), 0, True
    for k in range(FRAMES):
        positions[k, :, 0], positions[k, :, 1] = x, (200.0, 203.0)
        if apart and abs(x[1] - x[0]) <= SPEED:
            meetings += 1
            v = -v if meetings == 3 else v
        apart = abs(x[1] - x[0]) > SPEED
        x = x + v
        v = np.where((x <= WALLS[0]) | (x >= WALLS[1]), -v, v)
    return positions + rng.normal(0, 0.1, positions.shape)


def _segmented(rng: np.random.Generator, positions: np.ndarray):
    """Blobs (one per animal, or one for both where they are closer than MERGED_PX), their links
    between frames, and the animal of each blob (-1: both); the animals are the same size."""
    frame, centroid, area, animal, previous, links = [], [], [], [], [], []
    for k, (a, b) in enumerate(positions):
        here = [(-1, (a + b) / 2)] if np.linalg.norm(a - b) < MERGED_PX else [(0, a), (1, b)]
        indices = []
        for who, where in here:
            indices.append((who, len(frame)))
            frame.append(k), centroid.append(where), area.append(200.0 if who < 0 else 100.0 * rng.uniform(0.97, 1.03)), animal.append(who)
        links += [(i, j) for wi, i in previous for wj, j in indices if wi == wj or wi < 0 or wj < 0]
        previous = indices
    return np.array(frame), np.array(centroid), np.array(area), np.array(links, np.int64), np.array(animal)


def _corridor_fragments(rng: np.random.Generator):
    """The corridor segmented: its fragments, their crossing groups, motion model and ends, the
    blobs, and the animal of each blob (-1: both)."""
    frame, centroid, area, links, animal_of_blob = _segmented(rng, _corridor(rng))
    fragments = build_fragments(frame, links, animal_of_blob >= 0)
    blobs = BlobTable(frame, centroid, area, np.zeros((len(frame), 4), np.int32), np.zeros((0, 2), np.int32),
                      np.zeros(len(frame) + 1, np.int64))
    return (fragments, crossing_groups(fragments, links), learn_motion(fragments, centroid, area),
            fragment_ends(fragments, centroid, area), blobs, animal_of_blob)


def test_a_crossing_joined_the_wrong_way_round_is_joined_as_the_animals_look():
    rng = np.random.default_rng(0)
    fragments, groups, model, ends, blobs, animal_of_blob = _corridor_fragments(rng)
    joins, _ = sure_joins(groups, model, ends, 0.99)
    tracklets, tracklet = join_fragments(fragments, joins)
    joined = JoinedFragments(tracklets, tracklet_groups(groups, tracklet, fragments), tracklet, fragments, groups,
                             model, ends, blobs)
    animal = animal_of_blob[fragments.first_blobs]
    wrong = [(a, b) for a, b in joins.tolist() if animal[a] != animal[b]]
    assert len(wrong) == 2 and len(joins) > 2  # motion joined the bounce through, sure and wrong

    # images a little surer of their own animal than of the other, and labels as an identification
    # on the tracklets would end: each tracklet named after its first fragment, the given ones
    images = np.flatnonzero(animal_of_blob >= 0)
    image_original = fragments.of_blob[images]
    truth = animal_of_blob[images][:, None] == np.arange(2)[None]
    log_proba = np.log(np.where(truth, 0.9, 0.1)) + rng.normal(0, 0.3, truth.shape)
    evidence = fragment_evidence(log_proba, tracklet[image_original], len(tracklets))
    given = np.flatnonzero((animal >= 0) & (fragments.start == 0))
    labels = np.full(len(tracklets), -1, np.int64)
    for t in np.unique(tracklet[fragments.is_individual]):
        labels[t] = animal[np.flatnonzero(tracklet == t)[0]]
    identification = Identification(labels, (labels >= 0).astype(float), log_proba, evidence, evidence, 1.0)

    revised, carried, count = revise_joins(identification, joined, image_original, given, looks=1.0)
    assert count == 1
    individual = np.flatnonzero(animal >= 0)
    for t in np.unique(revised.tracklet[individual]):
        assert len(np.unique(animal[revised.tracklet == t])) == 1  # one animal per tracklet now
    # tracklets made of the same fragments keep their labels; the given ones keep theirs; others are to decide
    before = {tuple(np.flatnonzero(tracklet == t)): int(labels[t]) for t in range(len(tracklets))}
    for t in np.unique(revised.tracklet[individual]):
        members = np.flatnonzero(revised.tracklet == t)
        expected = before.get(tuple(members), -1)
        if np.isin(members, given).any():
            expected = int(animal[members[0]])
        assert carried.labels[t] == expected
        np.testing.assert_allclose(carried.evidence[t], fragment_evidence(log_proba, image_original,
                                                                          len(fragments))[members].sum(0))


def test_looks_taught_the_labels_motion_forced_earn_the_least_weight_at_the_crossings_it_left_open():
    rng = np.random.default_rng(1)
    fragments, groups, model, ends, blobs, animal_of_blob = _corridor_fragments(rng)
    own = np.arange(len(fragments))  # nothing joined: every crossing is left open
    joined = JoinedFragments(fragments, groups, own, fragments, groups, model, ends, blobs)
    images = np.flatnonzero(animal_of_blob >= 0)
    image_original = fragments.of_blob[images]
    animal = animal_of_blob[fragments.first_blobs]
    # the labels motion passed through every crossing (the bounce the wrong way round, as it is sure of)
    joins, _ = sure_joins(groups, model, ends, 0.99)
    _, motion_tracklet = join_fragments(fragments, joins)
    first = {t: np.flatnonzero(motion_tracklet == t)[0] for t in np.unique(motion_tracklet)}
    labels = np.where(animal >= 0, animal[[first[t] for t in motion_tracklet]], -1)
    noise = rng.normal(0, 0.01, (len(images), 2))  # images that cannot tell the animals apart
    # trained on them, the classifier now confirms them
    taught = np.where(labels[:, None] == np.arange(2)[None], 0.0, -50.0) * fragments.is_individual[:, None]
    untaught = fragment_evidence(noise, image_original, len(fragments))

    def weight(held_out: np.ndarray) -> float:
        sink = InMemoryEventSink()
        identification = Identification(labels, np.ones(len(labels)), noise, taught, held_out, 1.0)
        fuse_motion_and_appearance(identification, joined, image_original, np.zeros(0, np.int64), sink)
        return sink.of_type(ev.MotionFused)[0].appearance_weight

    assert weight(untaught) == APPEARANCE_WEIGHTS.min()  # what it said before it was taught: nothing
    assert weight(taught) == 1.0  # looks as sure of motion's ways that were never taught them are believed
