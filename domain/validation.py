"""Checking and correcting identities by hand: the errors a user looks at, and the edits the validator makes.

The state is the identity of every blob plus positions the user placed where no blob was (gaps
interpolated, centroids moved); trajectories follow from it. Every edit returns a new state, so
undo and redo are a list of states.
"""

from __future__ import annotations

import attrs
import numpy as np
from scipy.interpolate import make_interp_spline

from .trajectories import positions_by_identity

#: Error kinds, as idtracker.ai's validator names them.
MISS_ID, NO_ID, DUPLICATED, JUMP = "Miss id", "No id", "Dupl", "Jump"
#: Default jump threshold: speeds above mean + 10 standard deviations of the identity's own speeds.
JUMP_SIGMAS = 10.0
#: Undo steps kept: each holds every blob's identity, so a long session's history is capped.
MAX_UNDO = 100


@attrs.frozen
class ValidationError:
    """One thing to look at: ``kind``, the identity (0 for none), first frame and how many frames."""

    kind: str
    identity: int
    start: int
    length: int


@attrs.frozen
class ValidationState:
    """Blob identities (1-based, 0 none) and user-placed positions {(frame, identity): (x, y)}."""

    identity: np.ndarray
    placed: dict = attrs.field(factory=dict)

    def trajectories(self, frame: np.ndarray, centroid: np.ndarray, n: int, number_of_frames: int) -> np.ndarray:
        """(F, N, 2) positions: blobs' centroids, then the placed ones where no blob holds the identity."""
        out = positions_by_identity(number_of_frames, n, frame, centroid, self.identity)
        for (t, k), xy in self.placed.items():
            if 0 < k <= n and 0 <= t < number_of_frames:
                out[t, k - 1] = xy
        return out


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of each run of True in a 1-D bool array."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b - a)) for a, b in zip(edges[::2], edges[1::2])]


def find_errors(trajectories: np.ndarray, blob_frame: np.ndarray, blob_identity: np.ndarray,
                individual: np.ndarray, tracked: np.ndarray, jump_sigmas: float = JUMP_SIGMAS) -> list[ValidationError]:
    """Every error of the trajectories, in frame order within each kind.

    Args:
        trajectories: (F, N, 2) positions.
        blob_frame, blob_identity, individual: per blob.
        tracked: (F,) bool frames inside the tracking intervals (missing ids count only there).
        jump_sigmas: a step is a jump above mean + ``jump_sigmas`` std of the identity's steps.
    """
    errors: list[ValidationError] = []
    missing = np.isnan(trajectories[..., 0]) & tracked[:, None]
    for k in range(trajectories.shape[1]):
        errors += [ValidationError(MISS_ID, k + 1, a, n) for a, n in runs(missing[:, k])]
    no_id = np.zeros(len(trajectories), bool)
    no_id[blob_frame[individual & (blob_identity == 0)]] = True
    errors += [ValidationError(NO_ID, 0, a, n) for a, n in runs(no_id)]
    labelled = blob_identity > 0
    pairs, counts = np.unique(np.stack([blob_frame[labelled], blob_identity[labelled]], 1), axis=0, return_counts=True)
    for k in np.unique(pairs[counts > 1, 1]) if len(pairs) else []:
        frames = np.zeros(len(trajectories), bool)
        frames[pairs[(counts > 1) & (pairs[:, 1] == k), 0]] = True
        errors += [ValidationError(DUPLICATED, int(k), a, n) for a, n in runs(frames)]
    steps = np.linalg.norm(np.diff(trajectories, axis=0), axis=2)
    for k in range(trajectories.shape[1]):
        speed = steps[:, k]
        known = speed[np.isfinite(speed)]
        if len(known) < 3:
            continue
        limit = known.mean() + jump_sigmas * known.std()
        errors += [ValidationError(JUMP, k + 1, int(t) + 1, 1) for t in np.flatnonzero(speed > limit)]
    return errors


def change_identity(state: ValidationState, blob: int, new: int, blob_fragment: np.ndarray,
                    propagate: bool = True) -> ValidationState:
    """Blob ``blob`` (and with ``propagate`` every blob of its fragment, forward and backward up to
    the crossings that bound it) takes identity ``new`` (0 removes it)."""
    identity = state.identity.copy()
    targets = np.flatnonzero(blob_fragment == blob_fragment[blob]) if propagate else np.array([blob])
    identity[targets] = new
    return ValidationState(identity, dict(state.placed))


def swap_identities(state: ValidationState, a: int, b: int, from_frame: int, blob_frame: np.ndarray) -> ValidationState:
    """Identities ``a`` and ``b`` exchanged from ``from_frame`` on (a swap the tracker made at a crossing)."""
    identity = state.identity.copy()
    later = blob_frame >= from_frame
    identity[later & (state.identity == a)] = b
    identity[later & (state.identity == b)] = a
    placed = {}
    for (t, k), xy in state.placed.items():
        placed[(t, {a: b, b: a}.get(k, k) if t >= from_frame else k)] = xy
    return ValidationState(identity, placed)


def place_centroid(state: ValidationState, frame: int, identity: int, xy: tuple[float, float] | None) -> ValidationState:
    """Put identity's position at frame by hand (None takes a placed one away)."""
    placed = dict(state.placed)
    if xy is None:
        placed.pop((frame, identity), None)
    else:
        placed[(frame, identity)] = (float(xy[0]), float(xy[1]))
    return ValidationState(state.identity.copy(), placed)


def interpolate_gap(state: ValidationState, trajectories: np.ndarray, identity: int, start: int, stop: int,
                    order: int = 3, context: int = 10) -> ValidationState:
    """Positions of ``identity`` placed in its missing frames of [start, stop) by a spline (scipy,
    ``order`` 1-5) through up to ``context`` known positions on each side."""
    track = trajectories[:, identity - 1]
    if not 0 <= start < stop <= len(track):
        raise ValueError(f"frames [{start}, {stop}) are not inside the {len(track)} frames")
    known = np.flatnonzero(np.isfinite(track[:, 0]))
    before, after = known[known < start][-context:], known[known >= stop][:context]
    support = np.concatenate([before, after])
    if len(support) < 2:
        raise ValueError(f"identity {identity} is known on fewer than 2 frames around [{start}, {stop})")
    k = int(min(order, len(support) - 1))
    spline = make_interp_spline(support, track[support], k=k)
    placed = dict(state.placed)
    for t in range(start, stop):
        if np.isnan(track[t, 0]):
            placed[(t, identity)] = tuple(float(v) for v in spline(t))
    return ValidationState(state.identity.copy(), placed)


@attrs.define
class EditHistory:
    """Undo and redo over validation states."""

    states: list[ValidationState]
    at: int = 0

    @property
    def current(self) -> ValidationState:
        return self.states[self.at]

    def push(self, state: ValidationState) -> ValidationState:
        self.states = self.states[:self.at + 1] + [state]
        if len(self.states) > MAX_UNDO + 1:  # the oldest step is forgotten; the saved file keeps every edit
            self.states = self.states[-(MAX_UNDO + 1):]
        self.at = len(self.states) - 1
        return state

    def undo(self) -> ValidationState:
        self.at = max(0, self.at - 1)
        return self.current

    def redo(self) -> ValidationState:
        self.at = min(len(self.states) - 1, self.at + 1)
        return self.current

    @property
    def changed(self) -> bool:
        return self.at > 0
