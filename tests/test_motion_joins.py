"""Which sure joins one-frame fragments take a velocity from (``_carrying_joins``): never those
of a group the fragment leaves and enters again with a join each way, which would confirm
themselves."""

from __future__ import annotations

import numpy as np
from idtracker.application.motion_joins import _carrying_joins
from idtracker.domain.crossing_groups import CrossingGroup
from idtracker.domain.motion import FragmentEnds, MotionModel, PowerLaw
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


def test_a_fragment_with_a_sure_join_each_way_through_one_group_carries_nothing_there():
    """A enters, X (one frame) leaves and enters again, B leaves: the only way through is A -> X -> B."""
    ends = _ends(first=[[-30, 0], [6, 0], [12, 0]], last=[[0, 0], [6, 0], [42, 0]], velocity=[[3, 0], NAN, [3, 0]],
                 first_frame=[0, 12, 14], last_frame=[10, 12, 24])
    through_and_back = CrossingGroup(entering=np.array([0, 1]), leaving=np.array([1, 2]))
    assert len(sure_joins([through_and_back], MODEL, ends, 0.99)[0]) == 2
    assert len(_carrying_joins([through_and_back], MODEL, ends)) == 0
    once = CrossingGroup(entering=np.array([0]), leaving=np.array([1]))
    np.testing.assert_array_equal(_carrying_joins([once], MODEL, ends), [[0, 1]])


def test_two_such_fragments_in_a_row_carry_nothing_whatever_their_order():
    """0 -> 1 -> 2 -> 3 through one group, 1 and 2 one frame each: both have a sure join each way."""
    ends = _ends(first=[[-30, 0], [6, 0], [12, 0], [18, 0]], last=[[0, 0], [6, 0], [12, 0], [48, 0]],
                 velocity=[[3, 0], NAN, NAN, [3, 0]], first_frame=[0, 12, 14, 16], last_frame=[10, 12, 14, 26])
    chain = CrossingGroup(entering=np.array([0, 1, 2]), leaving=np.array([1, 2, 3]))
    assert len(sure_joins([chain], MODEL, ends, 0.99)[0]) == 3
    assert len(_carrying_joins([chain], MODEL, ends)) == 0


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
    np.testing.assert_array_equal(_carrying_joins([group], MODEL, ends), [[0, 1]])
