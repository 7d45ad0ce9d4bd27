"""Per-fragment identity decisions: coexistence, global-fragment acceptance, residual assignment."""

import numpy as np

from idtracker.domain.coexistence import Coexistence
from idtracker.domain.global_fragments import GlobalFragment
from idtracker.domain.id_image_geometry import id_image_geometry
from idtracker.domain.identity_assignment import (
    accept_global_fragment,
    assign_residual,
    certain_unique_fragments,
    fragment_evidence,
    given_exclusions,
    identity_probability,
    image_votes,
    reclaim_identities,
    rejected_identities,
    renaming_after,
)


def test_coexistence_links_exactly_the_overlapping_spans():
    start = np.array([0, 0, 5, 10, 3])
    stop = np.array([5, 12, 10, 15, 4])
    co = Coexistence.of(start, stop, np.array([0, 1, 2, 3]))
    assert sorted(co.neighbours(0)) == [1]
    assert sorted(co.neighbours(1)) == [0, 2, 3]
    assert sorted(co.neighbours(2)) == [1]
    assert len(co.neighbours(4)) == 0  # not a member


def test_fragment_evidence_sums_floored_log_probabilities():
    log_probs = np.log(np.array([[0.9, 0.1], [0.8, 0.2], [1e-9, 1.0]]))
    ev = fragment_evidence(log_probs, np.array([0, 0, 1]), 2)
    assert np.allclose(ev[0], np.log([0.9 * 0.8, 0.1 * 0.2]))
    assert ev[1, 0] == -8.0


def _two_animals():
    # fragments 0,1 coexist in [0,10); 2,3 coexist in [10,20)
    start, stop = np.array([0, 0, 10, 10]), np.array([10, 10, 20, 20])
    return start, stop, Coexistence.of(start, stop, np.arange(4))


def test_global_fragment_is_accepted_when_assignment_and_evidence_agree():
    _, _, co = _two_animals()
    labels = np.array([0, 1, -1, -1])
    evidence = np.array([[0, -9], [-9, 0], [-1, -20], [-15, -2.0]])
    gf = GlobalFragment(10, 20, np.array([2, 3]))
    assert accept_global_fragment(gf, labels, evidence, co, 3.0) == {2: 0, 3: 1}


def test_global_fragment_is_rejected_when_a_fragment_is_unsure():
    _, _, co = _two_animals()
    labels = np.array([0, 1, -1, -1])
    evidence = np.array([[0, -9], [-9, 0], [-1, -2.0], [-15, -2.0]])
    assert accept_global_fragment(GlobalFragment(10, 20, np.array([2, 3])), labels, evidence, co, 3.0) == {}


def test_residual_never_gives_one_identity_to_coexisting_fragments():
    _, _, co = _two_animals()
    labels = np.full(4, -1)
    evidence = np.array([[-1, -30], [-2, -3.0], [-5, -6], [-1, -40.0]])
    final = assign_residual(labels, evidence, np.arange(4), co)
    assert final[0] != final[1] and final[2] != final[3]
    assert final.tolist() == [0, 1, 1, 0]  # sure fragments first decide, unsure ones take what is left


def test_identity_probability_is_the_posterior_from_the_fragments_own_images():
    labels = np.array([0, 1, -1])
    evidence = np.array([[0, -np.log(3)], [-5, 0], [0, 0.0]])
    p = identity_probability(labels, evidence, np.arange(3))
    assert np.isclose(p[0], 0.75) and p[1] > 0.99 and p[2] == 0


def test_identities_given_to_coexisting_fragments_are_impossible_for_the_posterior():
    # Fragment 0 is given identity 0; fragment 1 lives beside it and its images say 0, but it was
    # left identity 1 by exclusion; fragment 2 comes later, so nothing is excluded for it.
    start, stop = np.array([0, 5, 20]), np.array([15, 15, 30])
    co = Coexistence.of(start, stop, np.arange(3))
    labels = np.array([0, 1, 0])
    evidence = np.array([[0, -9.0, -9], [0, -6, -9], [0, -6, -9]])
    impossible = given_exclusions(labels, np.arange(3), np.array([0]), co, 3)
    assert impossible.tolist() == [[False] * 3, [True, False, False], [False] * 3]
    p = identity_probability(labels, evidence, np.arange(3), impossible)
    assert p[1] > 0.95 and p[2] > 0.99  # 1 is sure once 0 is ruled out; 2 keeps its own images' say
    assert identity_probability(labels, evidence, np.arange(3))[1] < 0.01
    # A label that a coexisting given fragment holds is impossible: probability 0, not NaN.
    clash = identity_probability(np.array([0, 0, 0]), evidence, np.arange(3),
                                 given_exclusions(np.array([0, 0, 0]), np.arange(3), np.array([0]), co, 3))
    assert clash[1] == 0 and np.isfinite(clash).all()


def test_id_image_side_fits_the_body_on_the_diagonal():
    assert id_image_geometry(57.43, None, None) == (42, 1.0)
    assert id_image_geometry(150.0, None, None) == (80, 0.75)
    assert id_image_geometry(57.43, 30, None) == (30, 0.71)
    assert id_image_geometry(57.43, None, 0.5) == (22, 0.5)
    # Animals too small for the networks (or reduced too far) get the smallest side they take.
    assert id_image_geometry(6.0, None, None) == (8, 1.0)
    assert id_image_geometry(57.43, None, 0.1) == (8, 0.1)


def _three_animals(image_probs: dict[int, list[list[float]]]):
    """Fragments 0-2 coexist in [0, 10) and are labelled 0-2; 3-5 coexist in [10, 20), unlabelled."""
    start, stop = np.array([0, 0, 0, 10, 10, 10]), np.array([10, 10, 10, 20, 20, 20])
    co = Coexistence.of(start, stop, np.arange(6))
    fragment_of = np.concatenate([[f] * len(p) for f, p in image_probs.items()])
    log_probs = np.log(np.concatenate([p for p in image_probs.values()]))
    evidence = fragment_evidence(log_probs, fragment_of, 6)
    votes = image_votes(log_probs, fragment_of, 6)
    return evidence, votes, co, np.array([0, 1, 2, -1, -1, -1])


SURE_0, SURE_1, UNSURE = [0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.25, 0.35, 0.4]


def test_single_fragments_are_accepted_when_certain_and_unique():
    evidence, votes, co, labels = _three_animals({3: [SURE_0] * 5, 4: [SURE_1] * 5, 5: [UNSURE] * 5})
    assert certain_unique_fragments(evidence, votes, labels, np.array([3, 4, 5]), co, 4) == {3: 0, 4: 1}


def test_an_unsure_fragment_still_vetoes_the_identity_it_leans_to():
    evidence, votes, co, labels = _three_animals({3: [SURE_0] * 5, 4: [SURE_1] * 5, 5: [[0.4, 0.35, 0.25]] * 5})
    assert certain_unique_fragments(evidence, votes, labels, np.array([3, 4, 5]), co, 4) == {4: 1}


def test_two_coexisting_claims_on_one_identity_veto_each_other():
    evidence, votes, co, labels = _three_animals({3: [SURE_0] * 5, 4: [SURE_0] * 6, 5: [SURE_1] * 5})
    assert certain_unique_fragments(evidence, votes, labels, np.array([3, 4, 5]), co, 4) == {5: 1}


def test_a_single_fragment_needs_enough_images_and_votes():
    split = [SURE_0] * 3 + [SURE_1] * 2  # the sum favours 0 by far, but only 60 % of images vote for it
    evidence, votes, co, labels = _three_animals({3: split, 4: [SURE_1] * 3})
    assert certain_unique_fragments(evidence, votes, labels, np.array([3, 4]), co, 4) == {}


def test_an_identity_held_by_a_coexisting_labelled_fragment_is_not_given():
    evidence, votes, co, _ = _three_animals({3: [SURE_0] * 5})
    labels = np.array([-1, -1, -1, 0, -1, -1])
    assert certain_unique_fragments(evidence, votes, labels, np.array([4]), co, 4) == {}
    assert certain_unique_fragments(evidence, votes, np.full(6, -1), np.array([3]), co, 4) == {3: 0}


def test_the_one_identity_left_by_coexisting_labelled_fragments_is_given_unless_the_images_are_sure_otherwise():
    start, stop = np.array([0, 0, 5]), np.array([10, 10, 15])
    co = Coexistence.of(start, stop, np.arange(3))
    labels = np.array([0, 1, -1])
    for probs, expected in (([0.4, 0.35, 0.25], {2: 2}), (SURE_0, {})):
        log_probs = np.log(np.array([probs] * 5))  # the classifier has barely seen animal 2
        evidence = fragment_evidence(log_probs, np.full(5, 2), 3)
        votes = image_votes(log_probs, np.full(5, 2), 3)
        assert certain_unique_fragments(evidence, votes, labels, np.array([2]), co, 4) == expected
    assert certain_unique_fragments(evidence, votes, labels, np.array([2]), co, 6) == {}  # too short to count


def test_identities_trailing_the_best_by_a_log_unit_per_image_are_rejected():
    log_probs = np.log(np.array([[0.6, 0.3, 0.1]] * 4))
    evidence = fragment_evidence(log_probs, np.array([0, 0, 0, 0]), 2)
    n_images = np.array([4, 0])
    rejected = rejected_identities(evidence, n_images)
    assert rejected[0].tolist() == [False, False, True]  # 0.69 and 1.79 log units per image behind
    assert not rejected[1].any()  # no images, no say


def test_an_unassigned_fragment_reclaims_its_identity_from_a_weaker_coexisting_holder():
    start, stop = np.array([0, 0, 50]), np.array([100, 10, 60])
    co = Coexistence.of(start, stop, np.arange(3))
    labels = np.array([-1, 0, 0])  # fragments 1 and 2 took animal 0 early, fragment 0 was left out
    evidence = np.array([[-10.0, -200.0], [-5, -9], [-4, -2]])
    n_images = np.array([100, 5, 5])
    out = reclaim_identities(labels, evidence, np.arange(3), n_images, co, protected=np.array([], int))
    assert out.tolist() == [0, -1, -1]  # 190 log units against 4 (fragment 2 prefers animal 1 anyway)
    assert reclaim_identities(labels, evidence, np.arange(3), n_images, co, protected=np.array([1])).tolist() == [-1, 0, 0]
    evidence[0] = [-10.0, -12.0]  # a claim of 2 does not beat the holder's 4
    assert reclaim_identities(labels, evidence, np.arange(3), n_images, co, np.array([], int)).tolist() == [-1, 0, 0]


def test_identities_of_another_identification_are_renamed_after_the_anchors():
    # Anchors 5 and 3 (a partial first global fragment: 2 of 3 identities) are that
    # identification's 1 and 2; its identity 0 takes the label no anchor has.
    labels = np.array([1, 0, -1, 2, 0, 1])
    evidence = np.eye(3)[np.maximum(labels, 0)] * 10.0
    assert renaming_after(np.array([5, 3]), evidence).tolist() == [2, 0, 1]
