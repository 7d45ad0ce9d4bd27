"""Motion joins: the noise learnt from the fragments, the posterior of each way through a crossing,
and tracklets made of the sure joins."""

from __future__ import annotations

import numpy as np
from idtracker.domain.crossing_groups import CrossingGroup, crossing_groups
from idtracker.domain.fragments import Fragments, build_fragments
from idtracker.domain.motion import carried_velocities, fragment_ends, join_log_likelihood, join_posterior, learn_motion
from idtracker.domain.tracklets import join_fragments, open_passages, sure_joins, tracklet_groups

FRAMES, MEET, HIDDEN = 120, 60, 6


def _crossing_scene(rng: np.random.Generator, headings: tuple[float, float] = (0.4, -0.4), speed: float = 3.0,
                    sizes: tuple[float, float] = (100.0, 104.0), parted: int | None = None, shrunk: float = 1.0):
    """Two animals on noisy straight paths that meet at frame MEET and are one blob for HIDDEN frames
    (apart again for the one frame ``parted`` among them, where given; animal 0's blob ``shrunk``
    times its size after the crossing, as when it bends or is partly hidden).

    Returns blob frames, centroids, areas, overlap links and the animal of every blob (-1: both)."""
    t = np.arange(FRAMES) - MEET
    paths = [np.column_stack([200 + speed * t * np.cos(h), 200 + speed * t * np.sin(h)]) for h in headings]
    paths = [p + rng.normal(0, 0.3, p.shape) for p in paths]
    frame, centroid, area, animal = [], [], [], []
    index: dict[tuple[int, int], int] = {}
    for k in range(FRAMES):
        hidden = MEET - HIDDEN // 2 <= k < MEET + HIDDEN // 2 and k != parted
        for a in ([-1] if hidden else [0, 1]):
            index[(k, a)] = len(frame)
            frame.append(k)
            centroid.append((paths[0][k] + paths[1][k]) / 2 if a < 0 else paths[a][k])
            scale = shrunk if a == 0 and k >= MEET else 1.0
            area.append(200.0 if a < 0 else sizes[a] * scale * rng.uniform(0.97, 1.03))
            animal.append(a)
    links = []
    for k in range(FRAMES - 1):
        here = [a for a in (-1, 0, 1) if (k, a) in index]
        there = [a for a in (-1, 0, 1) if (k + 1, a) in index]
        links += [(index[(k, a)], index[(k + 1, b)]) for a in here for b in there if a == b or a < 0 or b < 0]
    return (np.array(frame), np.array(centroid), np.array(area), np.array(links, np.int64), np.array(animal))


def _fragments(scene):
    frame, centroid, area, links, animal = scene
    return build_fragments(frame, links, animal >= 0)


def test_the_noise_is_learnt_from_the_fragments_and_grows_with_the_lag():
    scene = _crossing_scene(np.random.default_rng(0))
    fragments = _fragments(scene)
    model = learn_motion(fragments, scene[1], scene[2])
    assert model is not None
    # 0.3 px of position noise per axis: a velocity over 3 frames predicts one frame ahead within
    # about sqrt(0.3^2 + (0.3 * sqrt(2) * 4 / 3)^2) ~ 0.65 px, and worse further ahead.
    assert 0.3 < float(model.moving(1)) < 1.2
    assert model.moving(10) > model.moving(1)
    assert model.still(1) > model.moving(1)  # a 3 px/frame animal is not where it was


def _crossing_posterior(scene) -> tuple[np.ndarray, np.ndarray]:
    """(motion's posterior of each way through the scene's one crossing, whether each way keeps
    the animal), from a model learnt on the scene itself."""
    fragments = _fragments(scene)
    model = learn_motion(fragments, scene[1], scene[2])
    [group] = crossing_groups(fragments, scene[3])
    ends = fragment_ends(fragments, scene[1], scene[2])
    animal_of = np.array([scene[4][fragments.blobs(f)[0]] for f in range(len(fragments))])
    posterior = join_posterior(join_log_likelihood(model, ends, group.entering, group.leaving))
    return posterior, animal_of[group.entering][:, None] == animal_of[group.leaving][None]


def test_the_animal_that_leaves_heading_on_is_the_one_that_entered():
    posterior, same = _crossing_posterior(_crossing_scene(np.random.default_rng(1)))
    assert posterior[same].min() > 0.99
    np.testing.assert_allclose(posterior.sum(0), 1)
    np.testing.assert_allclose(posterior.sum(1), 1)


def test_an_animal_whose_blob_shrinks_across_a_crossing_is_still_followed_by_its_heading():
    """Animal 0 (100 px) leaves the crossing 12 % smaller, near animal 1's 90 px: sizes alone would
    swap them, but both keep their headings through an X, and one large change of size is not
    worth the turn that swapping them takes (heavy-tailed size noise)."""
    scene = _crossing_scene(np.random.default_rng(3), headings=(0.6, -0.6), sizes=(100.0, 90.0), shrunk=0.88)
    posterior, same = _crossing_posterior(scene)
    assert posterior[same].min() > 0.99


def test_animals_apart_for_one_frame_between_two_touches_carry_their_velocity_through():
    """Two animals of one size crossing in an X part for one frame, where they are still close: from there,
    without a velocity, the one on the left seems to be the one that leaves on the left (wrong);
    with the velocity of the sure join before, each continues on its own course."""
    rng = np.random.default_rng(5)
    frame, centroid, area, links, animal = _crossing_scene(rng, sizes=(100.0, 100.0), parted=MEET - 2)
    fragments = build_fragments(frame, links, animal >= 0)
    model = learn_motion(fragments, centroid, area)
    first, second = crossing_groups(fragments, links)
    ends = fragment_ends(fragments, centroid, area)
    animal_of = np.array([animal[fragments.blobs(f)[0]] for f in range(len(fragments))])
    assert (fragments.n_images[second.entering] == 1).all()

    def right_way(ends) -> float:
        posterior = join_posterior(join_log_likelihood(model, ends, second.entering, second.leaving))
        return float(posterior[animal_of[second.entering][:, None] == animal_of[second.leaving][None]].min())

    before, _ = sure_joins([first], model, ends, 0.99)
    assert len(before) == 2
    carried = carried_velocities(ends, before[:, 0], before[:, 1])
    assert right_way(ends) < 0.5
    assert right_way(carried) > 0.99
    one_frame, long = before[:, 1], before[:, 0]
    gap = (ends.first_frame[one_frame] - ends.last_frame[long])[:, None]
    np.testing.assert_allclose(carried.last_velocity[one_frame],
                               (ends.first_position[one_frame] - ends.last_position[long]) / gap)
    assert np.isnan(carried.first_velocity[one_frame]).all()  # no sure join after them to take it from
    np.testing.assert_array_equal(carried.last_velocity[long], ends.last_velocity[long])  # they have their own


def test_a_one_frame_fragment_takes_the_velocity_it_left_a_crossing_with_from_the_join_after_it():
    """Apart for one frame near the end of a wide X crossing (animals of one size): motion is sure
    of the short crossing after it, which gives the one-frame fragments the velocity they left the
    first crossing with."""
    rng = np.random.default_rng(6)
    frame, centroid, area, links, animal = _crossing_scene(rng, headings=(0.8, -0.8), sizes=(100.0, 100.0),
                                                           parted=MEET + 1)
    fragments = build_fragments(frame, links, animal >= 0)
    model = learn_motion(fragments, centroid, area)
    first, second = crossing_groups(fragments, links)
    ends = fragment_ends(fragments, centroid, area)
    after, _ = sure_joins([second], model, ends, 0.99)
    assert len(after) == 2
    carried = carried_velocities(ends, after[:, 0], after[:, 1])
    one_frame, long = after[:, 0], after[:, 1]
    assert (fragments.n_images[one_frame] == 1).all()
    gap = (ends.first_frame[long] - ends.last_frame[one_frame])[:, None]
    np.testing.assert_allclose(carried.first_velocity[one_frame],
                               (ends.first_position[long] - ends.last_position[one_frame]) / gap)
    assert np.isnan(carried.last_velocity[one_frame]).all()
    np.testing.assert_array_equal(carried.first_velocity[long], ends.first_velocity[long])


def test_animals_resting_together_are_not_joined_for_sure():
    """Two animals of one size resting in one spot give motion nothing to go on: no join reaches the bar."""
    rng = np.random.default_rng(2)
    frame, centroid, area, links, animal = _crossing_scene(rng, speed=0.0, sizes=(100.0, 100.0))
    fragments = build_fragments(frame, links, animal >= 0)
    model = learn_motion(fragments, centroid, area)
    [group] = crossing_groups(fragments, links)
    joins, _ = sure_joins([group], model, fragment_ends(fragments, centroid, area), 0.99)
    assert len(joins) == 0


def test_large_groups_are_balanced_into_probabilities():
    rng = np.random.default_rng(3)
    log_likelihood = rng.normal(0, 3, (9, 9)) + 20 * np.eye(9)
    posterior = join_posterior(log_likelihood)
    np.testing.assert_allclose(posterior.sum(0), 1, atol=1e-4)
    np.testing.assert_allclose(posterior.sum(1), 1, atol=1e-4)
    assert np.all(np.diag(posterior) > 0.99)


def test_sure_joins_make_tracklets_that_keep_their_blobs_in_frame_order():
    scene = _crossing_scene(np.random.default_rng(4))
    frame, centroid, area, links, animal = scene
    fragments = _fragments(scene)
    model = learn_motion(fragments, centroid, area)
    groups = crossing_groups(fragments, links)
    joins, probability = sure_joins(groups, model, fragment_ends(fragments, centroid, area), 0.99)
    assert len(joins) == 2 and np.all(probability >= 0.99)
    joined, tracklet = join_fragments(fragments, joins)
    assert joined.is_individual.sum() == 2 and (~joined.is_individual).sum() == 1
    for t in np.flatnonzero(joined.is_individual):
        blobs = joined.blobs(t)
        assert len(np.unique(animal[blobs])) == 1
        assert np.all(np.diff(frame[blobs]) > 0)
        assert joined.start[t] == frame[blobs[0]] and joined.stop[t] == frame[blobs[-1]] + 1
    assert np.all(np.diff(joined.start) >= 0)
    assert tracklet_groups(groups, tracklet, fragments) == []  # both came through joined: nothing left to conserve


def test_an_animal_lost_for_a_few_frames_is_joined_across_the_gap():
    """Animal 0 is not segmented for frames 58-61 and reappears where its motion leads; animal 1
    swims far away throughout. The gap's only likely way is animal 0's own."""
    from idtracker.domain.tracklets import gap_candidates, gap_joins

    rng = np.random.default_rng(5)
    t = np.arange(FRAMES)
    paths = [np.column_stack([50 + 3.0 * t, 100 + 0.5 * t]), np.column_stack([400 - 2.0 * t, 500 - 1.0 * t])]
    rows = [(k, a) for k in range(FRAMES) for a in (0, 1) if not (a == 0 and 58 <= k < 62)]
    frame = np.array([k for k, _ in rows])
    animal = np.array([a for _, a in rows])
    centroid = np.array([paths[a][k] for k, a in rows]) + rng.normal(0, 0.3, (len(rows), 2))
    area = np.where(animal == 0, 100.0, 104.0) * rng.uniform(0.97, 1.03, len(rows))
    index = {row: i for i, row in enumerate(rows)}
    links = np.array([(index[(k, a)], index[(k + 1, a)]) for k, a in rows if (k + 1, a) in index], np.int64)
    fragments = build_fragments(frame, links, np.ones(len(frame), bool))
    model = learn_motion(fragments, centroid, area)
    ends = fragment_ends(fragments, centroid, area)
    pairs, odds, posterior = gap_candidates(fragments, model, ends, 10)
    assert len(pairs) == 1 and odds[0] > 0 and posterior[0] > 0.99
    joins, _ = gap_joins(fragments, model, ends, 10, 0.99)
    joined, _ = join_fragments(fragments, joins)
    assert joined.is_individual.sum() == 2  # one tracklet per animal


def test_the_joins_that_made_the_tracklets_are_their_consecutive_fragments():
    """Tracklet 0 is fragments 0, 4, 2 (in frame order, listed out of it), tracklet 1 is 3 then 1."""
    from idtracker.domain.tracklets import chain_joins

    tracklet, start = np.array([0, 1, 0, 1, 0]), np.array([0, 9, 20, 5, 10])
    assert sorted(map(tuple, chain_joins(tracklet, start).tolist())) == [(0, 4), (3, 1), (4, 2)]


def _bounced_scene():
    """Two animals meet and bounce off each other: each leaves along the other's straight path, so
    motion joins them the wrong way round for sure. Returns the scene's parts, the sure joins' tracklets,
    each fragment's true animal (-1 for the crossing) and the scene's blobs (frame, centroid, area)."""
    scene = _crossing_scene(np.random.default_rng(6))
    frame, centroid, area, links, path = scene
    fragments = _fragments(scene)
    model = learn_motion(fragments, centroid, area)
    groups = crossing_groups(fragments, links)
    ends = fragment_ends(fragments, centroid, area)
    joins, _ = sure_joins(groups, model, ends, 0.99)
    _, tracklet = join_fragments(fragments, joins)
    first = np.array([fragments.blobs(f)[0] for f in range(len(fragments))])
    animal = np.where(path[first] < 0, -1, np.where(frame[first] > MEET, 1 - path[first], path[first]))
    return fragments, model, groups, ends, tracklet, animal, (frame, centroid, area)


def test_appearance_overturns_a_join_motion_made_the_wrong_way():
    from idtracker.domain.motion_fusion import revised_joins
    from idtracker.domain.tracklets import chain_joins

    fragments, model, groups, ends, tracklet, animal, _ = _bounced_scene()
    made = chain_joins(tracklet, fragments.start)
    assert len(made) == 2 and all(animal[a] != animal[b] for a, b in made)  # motion's sure joins are wrong
    # 57 images a side, each 3 nats surer of its own animal than of the other
    evidence = np.where(animal[:, None] == np.arange(2)[None], 0.0, -3.0) * fragments.n_images[:, None]
    evidence[animal < 0] = 0.0
    revised, count = revised_joins(groups, model, ends, tracklet, fragments.start, evidence, 1.0, 0.99)
    assert count == 1
    assert len(revised) == 2 and all(animal[a] == animal[b] for a, b in revised.tolist())
    # worth one look in ten thousand images, the same looks say too little to overturn motion
    kept, count = revised_joins(groups, model, ends, tracklet, fragments.start, evidence, 1e4, 0.99)
    assert count == 0 and sorted(map(tuple, kept.tolist())) == sorted(map(tuple, made.tolist()))


def test_an_animal_that_leaves_a_long_crossing_briefly_and_enters_it_again_stays_open_on_its_return():
    # Fragments: A0 [0, 280) and A1 [281, 288) are one tracklet (joined through the group's first
    # crossing); A1 then enters the same group (its crossings are linked through the others) with
    # B and C, and D, E, F leave it. Three animals enter unjoined, three leave.
    start = np.array([0, 0, 150, 281, 304, 314, 314])
    stop = np.array([280, 280, 280, 288, 311, 319, 319])
    fragments = Fragments(np.zeros(0, np.int64), start, stop, np.ones(7, bool), np.zeros(0, np.int64),
                          np.zeros(8, np.int64))
    tracklet = np.array([0, 1, 2, 0, 3, 4, 5])
    group = CrossingGroup(np.array([0, 1, 2, 3]), np.array([3, 4, 5, 6]))
    entering, leaving = open_passages(group, tracklet, fragments)
    assert entering.tolist() == [1, 2, 3] and leaving.tolist() == [4, 5, 6]
    (conserved,) = tracklet_groups([group], tracklet, fragments)
    assert conserved.entering.tolist() == [0, 1, 2] and conserved.leaving.tolist() == [3, 4, 5]


def test_an_animal_that_comes_out_twice_is_open_on_its_first_exit():
    # The time-mirror of the case above: A0 [0, 100) enters, A1 [110, 130) leaves and enters again,
    # A2 [140, 200) leaves; B enters, C leaves. Fragments A0..A2 are one tracklet; its first exit
    # (A1) was joined from A0, its second (A2) from A1, so only B -> C is open.
    start = np.array([0, 110, 140, 0, 145])
    stop = np.array([100, 130, 200, 100, 200])
    fragments = Fragments(np.zeros(0, np.int64), start, stop, np.ones(5, bool), np.zeros(0, np.int64),
                          np.zeros(6, np.int64))
    tracklet = np.array([0, 0, 0, 1, 2])
    group = CrossingGroup(np.array([0, 1, 3]), np.array([1, 2, 4]))
    entering, leaving = open_passages(group, tracklet, fragments)
    assert entering.tolist() == [3] and leaving.tolist() == [4]
    three_out = CrossingGroup(np.array([0, 3, 5]), np.array([1, 2, 4]))  # A leaves twice, entered once
    fragments = Fragments(np.zeros(0, np.int64), np.append(start, 0), np.append(stop, 100), np.ones(6, bool),
                          np.zeros(0, np.int64), np.zeros(7, np.int64))
    entering, leaving = open_passages(three_out, np.append(tracklet, 3), fragments)
    assert entering.tolist() == [3, 5] and leaving.tolist() == [1, 4]

