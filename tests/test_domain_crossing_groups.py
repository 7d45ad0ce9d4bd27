"""Identities conserved through crossings: who leaves a crossing is who entered it."""

import numpy as np

from idtracker.domain.coexistence import Coexistence
from idtracker.domain.crossing_groups import conserved_identities, crossing_groups
from idtracker.domain.fragments import build_fragments


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


def test_a_forced_identity_is_not_given_against_images_sure_of_another():
    group, co, labels = _crossing_and_no_labels()
    labels[group.entering] = [4, 7]
    labels[group.leaving[0]] = 7
    sure = np.full(len(labels), -1)
    sure[group.leaving[1]] = 9
    assert conserved_identities([group], labels, co, sure) == {}
    sure[group.leaving[1]] = 4
    assert conserved_identities([group], labels, co, sure) == {int(group.leaving[1]): 4}
