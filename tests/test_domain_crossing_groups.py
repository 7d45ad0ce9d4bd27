"""Identities conserved through crossings: who leaves a crossing is who entered it."""

import numpy as np

from idtracker.domain.coexistence import Coexistence
from idtracker.domain.crossing_groups import (_balancing, _bridges, _components, conserved_identities, crossing_groups,
                                              crossing_violations)
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


def _scene(blobs: list[tuple[str, int, bool]], links: list[tuple[str, str]]):
    """Fragments and links of named blobs (name, frame, individual), listed in frame order; a
    name's fragment is looked up with the returned ``of``."""
    index = {name: k for k, (name, _, _) in enumerate(blobs)}
    frame = np.array([f for _, f, _ in blobs])
    individual = np.array([i for _, _, i in blobs])
    link_array = np.array([(index[a], index[b]) for a, b in links], np.int64)
    fragments = build_fragments(frame, link_array, individual)
    return fragments, link_array, lambda name: int(fragments.of_blob[index[name]])


def _track(name: str, frames: range, individual: bool = True) -> tuple[list, list]:
    """Blobs name0, name1, ... in consecutive frames, linked one to the next."""
    blobs = [(f"{name}{f}", f, individual) for f in frames]
    return blobs, [(a[0], b[0]) for a, b in zip(blobs, blobs[1:])]


def _merge(*parts: tuple[list, list], links: list[tuple[str, str]]):
    blobs = sorted((b for p in parts for b in p[0]), key=lambda b: b[1])
    return _scene(blobs, [link for p in parts for link in p[1]] + links)


def test_an_animal_sized_blob_of_two_animals_between_two_crossings_joins_them_into_one_group():
    """A and B meet (x), leave it as one animal-sized blob (m) and part after a second touch (y):
    neither crossing alone is balanced, the two through m are."""
    fragments, links, of = _merge(_track("a", range(0, 3)), _track("b", range(0, 3)), _track("x", range(3, 5), False),
                                  _track("m", range(5, 6)), _track("y", range(6, 8), False),
                                  _track("c", range(8, 11)), _track("d", range(8, 11)),
                                  links=[("a2", "x3"), ("b2", "x3"), ("x4", "m5"), ("m5", "y6"), ("y7", "c8"),
                                         ("y7", "d8")])
    [group] = crossing_groups(fragments, links)
    assert sorted(group.entering) == sorted([of("a0"), of("b0")])
    assert sorted(group.leaving) == sorted([of("c8"), of("d8")])


def test_a_balanced_crossing_is_kept_beside_an_unbalanced_one_a_short_fragment_leads_into():
    """A and B cross (x); A leaves on its own, B for one frame (s) before touching C and D in a
    crowd (y) from which only E is seen to leave. Absorbing s would merge x into y's imbalance
    (3 in, 2 out) and lose x, whose animals are all accounted for."""
    fragments, links, of = _merge(_track("a", range(0, 3)), _track("b", range(0, 3)), _track("x", range(3, 5), False),
                                  _track("f", range(5, 9)), _track("s", range(5, 6)),
                                  _track("c", range(0, 6)), _track("d", range(0, 6)),
                                  _track("y", range(6, 8), False), _track("e", range(8, 11)),
                                  links=[("a2", "x3"), ("b2", "x3"), ("x4", "f5"), ("x4", "s5"), ("s5", "y6"),
                                         ("c5", "y6"), ("d5", "y6"), ("y7", "e8")])
    groups = crossing_groups(fragments, links)
    assert len(groups) == 1
    assert sorted(groups[0].entering) == sorted([of("a0"), of("b0")])
    assert sorted(groups[0].leaving) == sorted([of("f5"), of("s5")])


def _one_in_one_out():
    """A enters a crossing blob x alone and B leaves it, while C swims apart all along."""
    return _merge(_track("a", range(0, 3)), _track("x", range(3, 5), False), _track("b", range(5, 8)),
                  _track("c", range(0, 8)), links=[("a2", "x3"), ("x4", "b5")])


def test_a_crossing_entered_by_fewer_animals_than_its_blobs_hold_is_not_a_group():
    """One animal seen entering a crossing blob and one leaving it: the blob held two (three
    animals, or an unknown number), so the one that left may be the one that came in unseen."""
    fragments, links, _ = _one_in_one_out()
    assert crossing_groups(fragments, links, number_of_animals=3) == []
    assert crossing_groups(fragments, links) == []


def test_a_blob_taken_for_a_crossing_where_the_animals_leave_no_room_for_two_is_one_animal():
    """With two animals, C apart and x together would make three: x is one animal (a bent body)."""
    fragments, links, of = _one_in_one_out()
    [group] = crossing_groups(fragments, links, number_of_animals=2)
    assert group.entering.tolist() == [of("a0")] and group.leaving.tolist() == [of("b5")]


def test_an_animal_leaving_a_crossing_is_counted_out_from_its_first_frame_apart():
    """A and B meet (x); C splits off while x goes on for a frame as a crossing (z) before D
    leaves it: from C's first frame z holds one animal counted in, not the two a crossing blob
    holds, so someone came in unseen."""
    fragments, links, _ = _merge(_track("a", range(0, 3)), _track("b", range(0, 3)), _track("x", range(3, 5), False),
                                 _track("z", range(5, 6), False), _track("c", range(5, 9)), _track("d", range(6, 9)),
                                 links=[("a2", "x3"), ("b2", "x3"), ("x4", "z5"), ("x4", "c5"), ("z5", "d6")])
    assert crossing_groups(fragments, links) == []


def _absorbed(fragments, links) -> np.ndarray:
    """The bridges ``_balancing`` absorbs in the first round of ``crossing_groups``."""
    a, b = fragments.of_blob[links[:, 0]], fragments.of_blob[links[:, 1]]
    a, b = a[a != b], b[a != b]
    inside, n = ~fragments.is_individual, len(fragments)
    return _balancing(_bridges(fragments, a, b) & ~inside, inside, _components(inside, a, b, n), a, b, n)


def test_a_short_fragment_joins_a_crossing_that_lost_an_animal_to_one_that_gained_one_not_the_reverse():
    """m leads from x into y. Two in and one out of x, one in and two out of y: m is two animals,
    absorbed. One in and two out of x, two in and one out of y: animals came and went unseen, and
    merging the two would only hide it."""
    lost_then_gained = _merge(_track("a", range(0, 3)), _track("b", range(0, 3)), _track("x", range(3, 5), False),
                              _track("m", range(5, 6)), _track("y", range(6, 8), False),
                              _track("c", range(8, 11)), _track("d", range(8, 11)),
                              links=[("a2", "x3"), ("b2", "x3"), ("x4", "m5"), ("m5", "y6"), ("y7", "c8"), ("y7", "d8")])
    gained_then_lost = _merge(_track("a", range(0, 3)), _track("x", range(3, 5), False), _track("f", range(5, 9)),
                              _track("m", range(5, 6)), _track("c", range(0, 6)), _track("y", range(6, 8), False),
                              _track("d", range(8, 11)),
                              links=[("a2", "x3"), ("x4", "f5"), ("x4", "m5"), ("m5", "y6"), ("c5", "y6"), ("y7", "d8")])
    for (fragments, links, of), absorbed in ((lost_then_gained, True), (gained_then_lost, False)):
        assert _absorbed(fragments, links)[of("m5")] == absorbed
