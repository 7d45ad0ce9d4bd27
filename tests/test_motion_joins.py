"""Which sure joins one-frame fragments take a velocity from (``_carrying_joins``): never those
of a group the fragment leaves and enters again with a join each way, which would confirm
themselves; and the sure joins on the carried velocities (``_sure_pairs``), judged again only
where a velocity changed."""

from __future__ import annotations

import numpy as np
from idtracker.application.motion_joins import MIN_CARRY_PROBABILITY, _carrying_joins, _sure_pairs
from idtracker.domain.crossing_groups import CrossingGroup
from idtracker.domain.motion import FragmentEnds, MotionModel, PowerLaw, carried_velocities
from idtracker.domain.tracklets import sure_joins

MODEL = MotionModel(moving=PowerLaw(1.0, 1.0), still=PowerLaw(3.0, 1.0), turning=PowerLaw(0.5, 0.3),
                    area_blob=0.05, area_drift=0.1, arena_area=1e5, velocity_spread=3.0, size_spread=0.1)
NAN = [np.nan, np.nan]


def _ends(first: list, last: list, velocity: list, first_frame: list, last_frame: list) -> FragmentEnds:
    """Ends of fragments of one size moving at ``velocity`` (NaN: one-frame fragments)."""
    v = np.array(velocity, np.float64)
    n = len(first)
    return FragmentEnds(first_position=np.array(first, np.float64), last_position=np.array(last, np.float64),
                        first_velocity=v, last_velocity=v.copy(), first_log_area=np.full(n, np.log(100.0)),
                        last_log_area=np.full(n, np.log(100.0)),
                        area_count=np.where(np.isnan(v[:, 0]), 1, 8), first_frame=np.array(first_frame),
                        last_frame=np.array(last_frame))


def _carrying(groups: list[CrossingGroup], ends: FragmentEnds) -> np.ndarray:
    judged = [sure_joins([group], MODEL, ends, MIN_CARRY_PROBABILITY) for group in groups]
    return _carrying_joins(groups, judged, ends)


def test_a_fragment_with_a_sure_join_each_way_through_one_group_carries_nothing_there():
    """A enters, X (one frame) leaves and enters again, B leaves: the only way through is A -> X -> B."""
    ends = _ends(first=[[-30, 0], [6, 0], [12, 0]], last=[[0, 0], [6, 0], [42, 0]], velocity=[[3, 0], NAN, [3, 0]],
                 first_frame=[0, 12, 14], last_frame=[10, 12, 24])
    through_and_back = CrossingGroup(entering=np.array([0, 1]), leaving=np.array([1, 2]))
    assert len(sure_joins([through_and_back], MODEL, ends, 0.99)[0]) == 2
    assert len(_carrying([through_and_back], ends)) == 0
    once = CrossingGroup(entering=np.array([0]), leaving=np.array([1]))
    np.testing.assert_array_equal(_carrying([once], ends), [[0, 1]])


def test_two_such_fragments_in_a_row_carry_nothing_whatever_their_order():
    """0 -> 1 -> 2 -> 3 through one group, 1 and 2 one frame each: both have a sure join each way."""
    ends = _ends(first=[[-30, 0], [6, 0], [12, 0], [18, 0]], last=[[0, 0], [6, 0], [12, 0], [48, 0]],
                 velocity=[[3, 0], NAN, NAN, [3, 0]], first_frame=[0, 12, 14, 16], last_frame=[10, 12, 14, 26])
    chain = CrossingGroup(entering=np.array([0, 1, 2]), leaving=np.array([1, 2, 3]))
    assert len(sure_joins([chain], MODEL, ends, 0.99)[0]) == 3
    assert len(_carrying([chain], ends)) == 0


def test_a_fragment_sure_of_its_way_in_only_still_carries_it():
    """A enters and goes on as X (one frame), which leaves and enters again; X then leaves as B or D,
    placed alike on either side of it, and C (far behind, on their axis) as the other: only A -> X
    is sure, and it is kept."""
    ends = _ends(first=[[-30, 0], [6, 0], [-230, 0], [12, 20], [12, -20]],
                 last=[[0, 0], [6, 0], [-200, 0], [42, 30], [42, -30]],
                 velocity=[[3, 0], NAN, [3, 0], [3, 1], [3, -1]],
                 first_frame=[0, 12, 0, 14, 14], last_frame=[10, 12, 10, 24, 24])
    group = CrossingGroup(entering=np.array([0, 1, 2]), leaving=np.array([1, 3, 4]))
    joins, _ = sure_joins([group], MODEL, ends, 0.99)
    np.testing.assert_array_equal(joins, [[0, 1]])
    np.testing.assert_array_equal(_carrying([group], ends), [[0, 1]])


def test_sure_joins_on_carried_velocities_are_those_of_judging_every_group_again():
    """A -> X (X one frame, heading up-right with A's velocity), then X and Y (one frame, no
    velocity) leave as B (up-right) or C: by position alone X -> C (0.70), with X's carried
    velocity X -> B (0.994). D -> E, elsewhere, changes no velocity. The sure joins are those of
    judging every group again on the carried ends, at any bar."""
    ends = _ends(first=[[-30, -20], [6, 0], [6, 2], [12, 4], [12, -2], [300, 0], [336, 0]],
                 last=[[0, -4], [6, 0], [6, 2], [42, 24], [42, -2], [330, 0], [366, 0]],
                 velocity=[[3, 2], NAN, NAN, [3, 2], [3, 0], [3, 0], [3, 0]],
                 first_frame=[0, 12, 12, 14, 14, 0, 12], last_frame=[10, 12, 12, 24, 24, 10, 22])
    groups = [CrossingGroup(entering=np.array([0]), leaving=np.array([1])),
              CrossingGroup(entering=np.array([1, 2]), leaving=np.array([3, 4])),
              CrossingGroup(entering=np.array([5]), leaving=np.array([6]))]
    judged = [sure_joins([group], MODEL, ends, MIN_CARRY_PROBABILITY) for group in groups]
    carriers = _carrying_joins(groups, judged, ends)
    carried = carried_velocities(ends, carriers[:, 0], carriers[:, 1])
    for bar in (0.0, 0.5, MIN_CARRY_PROBABILITY, 0.9999):
        expected, _ = sure_joins(groups, MODEL, carried, bar)
        np.testing.assert_array_equal(_sure_pairs(groups, judged, MODEL, ends, carried, bar), expected)
    np.testing.assert_array_equal(_sure_pairs(groups, judged, MODEL, ends, carried, MIN_CARRY_PROBABILITY),
                                  [[0, 1], [1, 3], [2, 4], [5, 6]])
