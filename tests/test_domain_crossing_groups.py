"""Identities conserved through crossings: who leaves a crossing is who entered it."""

import numpy as np

from idtracker.domain.coexistence import Coexistence
from idtracker.domain.crossing_groups import conserved_identities, crossing_groups, crossing_violations
from idtracker.domain.fragments import build_fragments
from idtracker.domain.identity_assignment import assign_residual


def _x_crossing():
    """Animals A and B apart in frames 0-2, one crossing blob in frames 3-4, apart again in 5-7."""
    frame = np.array([0, 0, 1, 1, 2, 2, 3, 4, 5, 5, 6, 6, 7, 7])
    individual = np.array([True] * 6 + [False] * 2 + [True] * 6)
    links = np.array([(0, 2), (1, 3), (2, 4), (3, 5), (4, 6), (5, 6), (6, 7), (7, 8), (7, 9),
                      (8, 10), (9, 11), (10, 12), (11, 13)])
    return build_fragments(frame, links, individual), links


def _crossing_and_no_labels():
    """The X crossing's group, the coexistence of its fragments and all-unlabelled labels."""
    fragments, links = _x_crossing()
    co = Coexistence.of(fragments.start, fragments.stop, np.flatnonzero(fragments.is_individual))
    return crossing_groups(fragments, links)[0], co, np.full(len(fragments), -1)


def test_a_crossing_has_the_two_animals_entering_and_the_two_leaving():
    fragments, links = _x_crossing()
    groups = crossing_groups(fragments, links)
    assert len(groups) == 1
    assert len(groups[0].entering) == 2 and len(groups[0].leaving) == 2
    assert np.all(fragments.stop[groups[0].entering] == 3) and np.all(fragments.start[groups[0].leaving] == 5)


def test_the_last_unnamed_animal_leaving_gets_the_identity_left():
    group, co, labels = _crossing_and_no_labels()
    labels[group.entering] = [4, 7]
    labels[group.leaving[0]] = 7
    assert conserved_identities([group], labels, co) == {int(group.leaving[1]): 4}


def test_nothing_is_forced_when_an_entering_animal_is_unknown_or_names_disagree():
    group, co, labels = _crossing_and_no_labels()
    labels[group.entering[0]] = 4
    labels[group.leaving[0]] = 7
    assert conserved_identities([group], labels, co) == {}
    labels[group.entering[1]] = 5  # 7 left the crossing but never entered it: inconsistent, leave it
    assert conserved_identities([group], labels, co) == {}


def test_identities_are_conserved_backwards_in_time_too():
    group, co, labels = _crossing_and_no_labels()
    labels[group.leaving] = [1, 2]
    labels[group.entering[1]] = 2
    assert conserved_identities([group], labels, co) == {int(group.entering[0]): 1}


def test_a_forced_identity_is_not_given_against_images_that_reject_it():
    group, co, labels = _crossing_and_no_labels()
    labels[group.entering] = [4, 7]
    labels[group.leaving[0]] = 7
    rejected = np.zeros((len(labels), 10), bool)
    rejected[group.leaving[1], 4] = True
    assert conserved_identities([group], labels, co, rejected) == {}
    rejected[group.leaving[1]] = True
    rejected[group.leaving[1], 4] = False
    assert conserved_identities([group], labels, co, rejected) == {int(group.leaving[1]): 4}


def test_residual_assignment_names_the_last_animal_out_of_a_crossing_against_weak_images():
    group, co, labels = _crossing_and_no_labels()
    labels[group.entering] = [0, 1]
    evidence = np.zeros((len(labels), 3))
    evidence[group.leaving[0]] = [-1, -9, -9]  # sure: animal 0
    evidence[group.leaving[1]] = [-5, -6, -4]  # leans to animal 2, which never entered
    final = assign_residual(labels, evidence, group.leaving, co, [group])
    assert final[group.leaving].tolist() == [0, 1]
    assert assign_residual(labels, evidence, group.leaving, co)[group.leaving].tolist() == [0, 2]


def test_a_label_that_leaves_a_crossing_without_having_entered_it_is_a_violation():
    group, _, labels = _crossing_and_no_labels()
    labels[group.entering] = [0, 1]
    labels[group.leaving] = [1, 2]
    assert crossing_violations([group], labels).tolist() == sorted([int(group.leaving[1]), int(group.entering[0])])
    labels[group.leaving] = [1, -1]  # who left so far did enter; the entering side waits for everyone to leave
    assert crossing_violations([group], labels).tolist() == []
    labels[group.leaving] = [1, 0]
    assert crossing_violations([group], labels).tolist() == []
