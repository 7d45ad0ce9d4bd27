"""The validator's errors and edits on small hand-made sessions."""

from __future__ import annotations

import numpy as np
import pytest

from idtracker.domain.validation import (
    DUPLICATED,
    JUMP,
    MISS_ID,
    NO_ID,
    EditHistory,
    ValidationState,
    change_identity,
    find_errors,
    interpolate_gap,
    runs,
    swap_identities,
)


def test_runs_of_true():
    assert runs(np.array([0, 1, 1, 0, 1], bool)) == [(1, 2), (4, 1)]


def test_every_kind_of_error_is_found():
    trajectories = np.zeros((6, 2, 2))
    trajectories[:, 0, 0] = np.arange(6.0)
    trajectories[2:4, 1] = np.nan  # identity 2 missing on frames 2-3
    trajectories[5, 0] = [500.0, 0.0]  # identity 1 jumps at frame 5
    frame = np.array([0, 0, 1, 1, 1])
    identity = np.array([1, 2, 1, 1, 0])  # frame 1: identity 1 twice, and a blob without identity
    individual = np.ones(5, bool)
    errors = find_errors(trajectories, frame, identity, individual, np.ones(6, bool), jump_sigmas=1.5)
    kinds = {(e.kind, e.identity, e.start, e.length) for e in errors}
    assert {(MISS_ID, 2, 2, 2), (NO_ID, 0, 1, 1), (DUPLICATED, 1, 1, 1), (JUMP, 1, 5, 1)} <= kinds


def test_missing_ids_outside_the_tracking_intervals_are_not_errors():
    trajectories = np.full((4, 1, 2), np.nan)
    errors = find_errors(trajectories, np.zeros(0, int), np.zeros(0, int), np.zeros(0, bool),
                         np.array([False, True, True, False]))
    assert [(e.kind, e.start, e.length) for e in errors] == [(MISS_ID, 1, 2)]


def test_a_change_propagates_through_the_fragment_and_a_swap_from_a_frame_on():
    state = ValidationState(np.array([1, 1, 2, 2]))
    fragment, frame = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    assert change_identity(state, 1, 3, fragment).identity.tolist() == [3, 3, 2, 2]
    assert change_identity(state, 1, 3, fragment, propagate=False).identity.tolist() == [1, 3, 2, 2]
    assert swap_identities(state, 1, 2, 1, frame).identity.tolist() == [1, 2, 2, 1]


def test_a_gap_is_interpolated_through_the_known_positions():
    t = np.arange(20.0)
    trajectories = np.stack([t * 2, t * 0 + 5], 1)[:, None, :].copy()
    trajectories[8:12] = np.nan
    state = interpolate_gap(ValidationState(np.zeros(0, np.int64)), trajectories, 1, 8, 12)
    filled = state.trajectories(np.zeros(0, int), np.zeros((0, 2)), 1, 20)
    assert filled[8:12, 0, 0] == pytest.approx([16, 18, 20, 22]) and filled[8:12, 0, 1] == pytest.approx(5)


def test_undo_and_redo_walk_the_states():
    history = EditHistory([ValidationState(np.array([1]))])
    history.push(ValidationState(np.array([2])))
    assert history.undo().identity.tolist() == [1] and history.redo().identity.tolist() == [2] and history.changed


def test_a_gap_outside_the_video_is_refused():
    with pytest.raises(ValueError, match="not inside"):
        interpolate_gap(ValidationState(np.zeros(0, np.int64)), np.zeros((10, 1, 2)), 1, 8, 12)


def test_the_undo_history_keeps_a_bounded_number_of_steps():
    from idtracker.domain.validation import MAX_UNDO

    history = EditHistory([ValidationState(np.array([0]))])
    for k in range(MAX_UNDO + 20):
        history.push(ValidationState(np.array([k + 1])))
    assert len(history.states) == MAX_UNDO + 1 and history.current.identity.tolist() == [MAX_UNDO + 20]
