"""Fusing motion with appearance: independent looks, same-animal odds, motion links, joint decisions."""

from __future__ import annotations

import numpy as np
from idtracker.domain.coexistence import Coexistence
from idtracker.domain.identity_assignment import assign_residual
from idtracker.domain.motion_fusion import (
    MAX_LOOKS_PER_UNIT,
    MotionLinks,
    appearance_log_odds,
    image_correlation_time,
    saturated_evidence,
    tempered_posteriors,
)


def _ar1(rng: np.random.Generator, length: int, phi: float, classes: int) -> np.ndarray:
    x = np.zeros((length, classes))
    for t in range(1, length):
        x[t] = phi * x[t - 1] + rng.normal(0, 1, classes)
    return x


def test_correlated_images_count_as_fewer_looks():
    """AR(1) log-likelihoods with coefficient phi have an integrated time (1 + phi) / (1 - phi);
    images shuffled between fragments (interleaved, as other animals' blobs are) do not change it."""
    rng = np.random.default_rng(0)
    fragments = [_ar1(rng, 2000, 0.8, 4) for _ in range(4)]
    log_proba = np.concatenate(fragments)
    image_fragment = np.repeat(np.arange(4), 2000)
    tau = image_correlation_time(log_proba, image_fragment)
    assert 7.0 < tau < 11.0  # (1 + 0.8) / (1 - 0.8) = 9
    interleave = np.argsort(np.tile(np.arange(2000), 4), kind="stable")
    assert abs(image_correlation_time(log_proba[interleave], image_fragment[interleave]) - tau) < 1e-9
    independent = rng.normal(0, 1, (8000, 4))
    assert image_correlation_time(independent, image_fragment) < 1.2


def test_tempered_posteriors_and_same_animal_odds():
    evidence = np.array([[30.0, 0.0, 0.0], [0.0, 30.0, 0.0], [29.0, 0.0, 0.0]])
    sure = tempered_posteriors(evidence, 1.0)
    assert sure[0, 0] > 0.999
    doubtful = tempered_posteriors(evidence, 30.0)
    assert 0.5 < doubtful[0, 0] < 0.6  # 30 correlated images, one look: e / (e + 2)
    odds = appearance_log_odds(sure, np.array([0]), np.array([1, 2]))
    assert odds[0, 1] > np.log(2.9) and odds[0, 0] < -10  # same looks: about log N; different: far below 0
    assert np.all(np.abs(appearance_log_odds(np.full((2, 3), 1 / 3), np.array([0]), np.array([1]))) < 1e-9)


def test_a_long_tracklet_leaning_weakly_the_wrong_way_does_not_outweigh_motion():
    """400 looks each leaning 0.05 nats to identity 1 sum to 20 nats, enough to override any
    crossing's motion; saturated, they are worth less than the 0.81 motion gave the true way
    (log-odds 1.45). Two looks of a distinct animal (3 nats each) keep most of theirs, and more
    looks never say less."""
    looks = np.array([400.0, 2.0])
    evidence = np.array([[0.0, 0.05 * 400, 0.0], [6.0, 0.0, 0.0]])
    saturated = saturated_evidence(evidence, looks)
    assert saturated[0, 1] - saturated[0, 0] < np.log(0.81 / 0.19)
    assert saturated[1, 0] > 0.6 * evidence[1, 0]
    assert saturated[0, 1] < MAX_LOOKS_PER_UNIT * 0.05
    per_look = np.array([[0.05, 0.0, 0.0]])
    worth = [saturated_evidence(per_look * n, np.array([n]))[0, 0] for n in (1.0, 4.0, 16.0, 64.0, 256.0)]
    assert np.all(np.diff(worth) > 0)


def test_motion_links_pass_their_probability_to_the_neighbours_identity():
    # Fragment 2 continues fragment 0 (p 0.9) or fragment 1 (p 0.1); 0 is labelled 1, 1 is unlabelled.
    links = MotionLinks.of(np.array([2, 2, 0, 1]), np.array([0, 1, 2, 2]), np.array([0, 0, 1, 1]),
                           np.array([0.9, 0.1, 0.9, 0.1]), 3)
    labels = np.array([1, -1, -1])
    odds = links.log_odds(2, labels, 4)
    np.testing.assert_allclose(odds, np.log([0.1, 4 * 0.9 + 0.1, 0.1, 0.1]))
    assert np.all(links.log_odds(1, labels, 4) == 0)  # its neighbour is unlabelled: no word
    assert set(links.neighbours(2).tolist()) == {0, 1}


def test_motion_links_name_a_look_alike_in_the_residual_assignment():
    """Fragment 2 starts where labelled fragment 0 ended (p 0.95 by motion) while 1, labelled too,
    ended elsewhere; its looks lean slightly the wrong way. Motion names it."""
    start, stop = np.array([0, 0, 10]), np.array([10, 20, 20])
    labels = np.array([0, 1, -1])
    coexistence = Coexistence.of(start, stop, np.arange(3))
    evidence = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    links = MotionLinks.of(np.array([2, 0]), np.array([0, 2]), np.array([0, 1]), np.array([0.95, 0.95]), 3)
    assert assign_residual(labels, evidence, np.array([2]), coexistence)[2] == 2
    assert assign_residual(labels, evidence, np.array([2]), coexistence, links=links)[2] == 0


def test_motion_passes_identities_on_through_crossings_it_is_sure_enough_of():
    """Fragments 0, 1 (labelled 0, 1) enter a crossing; 2, 3 leave it; motion: 0 -> 3, 1 -> 2 at
    0.995. Then 3 leaves into another crossing with 4 (labelled 2) and 5, 6 leave it at 0.6: too
    doubtful to pass anything on."""
    from idtracker.domain.motion_fusion import motion_forced_identities

    start = np.array([0, 0, 10, 10, 0, 20, 20])
    stop = np.array([10, 10, 30, 20, 20, 30, 30])
    coexistence = Coexistence.of(start, stop, np.arange(7))
    labels = np.array([0, 1, -1, -1, 2, -1, -1])
    sure = np.array([[0.005, 0.995], [0.995, 0.005]])
    doubtful = np.array([[0.6, 0.4], [0.4, 0.6]])
    ways = [(np.array([0, 1]), np.array([2, 3]), sure), (np.array([3, 4]), np.array([5, 6]), doubtful)]
    assert motion_forced_identities(ways, labels, coexistence) == {3: 0, 2: 1}
    rejected = np.zeros((7, 3), bool)
    rejected[2, 1] = True  # fragment 2's own images rule identity 1 out
    assert motion_forced_identities(ways, labels, coexistence, rejected) == {3: 0}


def _crossings_of_two(rng: np.random.Generator, count: int, identities: int, right: float, nats: float):
    """``count`` crossings: animals i, j enter as fragments a, b and leave as y, x (motion sure of
    it, 0.97); each fragment's evidence is ``nats`` for its animal with probability ``right``,
    else for another."""
    scores = np.zeros((4 * count, identities))
    ways = []
    for c in range(count):
        i, j = rng.choice(identities, 2, replace=False)
        for fragment, animal in zip(4 * c + np.arange(4), (i, j, j, i)):
            shown = animal if rng.random() < right else (animal + rng.integers(1, identities)) % identities
            scores[fragment, shown] = nats
        ways.append((4 * c + np.array([0, 1]), 4 * c + np.array([2, 3]), np.array([[0.03, 0.97], [0.97, 0.03]])))
    return scores, ways

def test_appearance_is_believed_as_far_as_it_predicts_the_ways_motion_is_sure_of():
    """A classifier right on every fragment keeps its full weight; one that is confident (8 nats)
    but right only 60 % of the time is believed less, one right by chance least; ways motion is
    unsure of are not scored."""
    from idtracker.domain.motion_fusion import APPEARANCE_WEIGHTS, appearance_weight, open_way_rows, way_log_scores

    def weight(right: float) -> float:
        scores, ways = _crossings_of_two(np.random.default_rng(1), 40, 10, right, 8.0)
        return appearance_weight(way_log_scores(scores, open_way_rows(ways)))

    assert weight(1.0) == 1.0
    assert weight(0.6) <= 0.5
    assert weight(0.1) <= 0.25  # chance: the classifier knows nothing
    assert APPEARANCE_WEIGHTS.max() == 1.0
    unsure = [(before, after, np.full((2, 2), 0.5)) for before, after, _ in _crossings_of_two(
        np.random.default_rng(1), 40, 10, 1.0, 8.0)[1]]
    assert open_way_rows(unsure) == []
    assert appearance_weight(np.zeros((len(APPEARANCE_WEIGHTS), 0))) == 1.0


def test_ways_joined_inside_taught_tracklets_are_not_scored():
    """Fragments 0, 1 enter a crossing, 2, 3 leave it; motion joined 0 with 3 (tracklet 0) and
    1 with 2 (tracklet 1). Only tracklet 1 was never taught, so only its way is a row."""
    from idtracker.domain.crossing_groups import CrossingGroup
    from idtracker.domain.motion_fusion import joined_way_rows

    group = CrossingGroup(np.array([0, 1]), np.array([2, 3]))
    rows = joined_way_rows([group], np.array([0, 1, 1, 0]), np.array([True, False]))
    assert len(rows) == 1
    fragment, candidates, motion = rows[0]
    assert fragment == 1 and candidates.tolist() == [2, 3] and motion.tolist() == [1.0, 0.0]
