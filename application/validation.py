"""The validator's use case: open a finished session, list its errors, edit identities, save validated trajectories.

Edits act on the identity of every blob (and positions the user placed); trajectories and the
error list follow from that state. Saving writes ``trajectories/trajectories_validated.*`` in
the session's formats beside the originals, ``preprocessing/blobs_validated.npz`` (so the work
reopens), ``validation.json`` (every edit made) and ``last_validated`` in session.json.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import attrs
import numpy as np
from idtracker.domain.blobs import BlobTable
from idtracker.domain.validation import (
    EditHistory,
    ValidationError,
    ValidationState,
    change_identity,
    find_errors,
    interpolate_gap,
    place_centroid,
    swap_identities,
)

from . import events as ev
from .errors import UserError
from .ports import EventSink

VALIDATED_STEM = "trajectories_validated"


@attrs.frozen
class SessionBlobs:
    """A session's blobs with their fragment, kind and identity (1-based, 0 none), and the positions a
    saved validation placed (None: never validated)."""

    blobs: BlobTable
    fragment: np.ndarray
    is_individual: np.ndarray
    identity: np.ndarray
    placed: dict | None = None


@attrs.define
class ValidationSession:
    """An open session being validated."""

    folder: Path
    info: dict
    blobs: SessionBlobs
    record: dict
    history: EditHistory
    edits: list[dict] = attrs.field(factory=list)
    #: Edits undone (the last ``undone`` of ``edits``), dropped by the next edit.
    undone: int = 0
    _built: tuple | None = None
    labels: list[str] = attrs.field(factory=list)
    groups: dict[str, list[int]] = attrs.field(factory=dict)
    calibrations: list[dict] = attrs.field(factory=list)

    @property
    def number_of_identities(self) -> int:
        return int(np.asarray(self.record["trajectories"]).shape[1])

    @property
    def number_of_frames(self) -> int:
        return int(np.asarray(self.record["trajectories"]).shape[0])

    @property
    def state(self) -> ValidationState:
        return self.history.current

    def trajectories(self) -> np.ndarray:
        """(F, N, 2) positions of the current state, built once per state (every redraw asks)."""
        if self._built is None or self._built[0] is not self.state:
            b = self.blobs.blobs
            self._built = (self.state, self.state.trajectories(b.frame, b.centroid, self.number_of_identities,
                                                               self.number_of_frames))
        return self._built[1]

    def tracked(self) -> np.ndarray:
        """(F,) frames inside the session's tracking intervals."""
        mask = np.zeros(self.number_of_frames, bool)
        for start, stop in self.info.get("tracking_intervals") or [[0, self.number_of_frames]]:
            mask[int(start):int(stop)] = True
        return mask

    def errors(self, jump_sigmas: float) -> list[ValidationError]:
        b = self.blobs
        return find_errors(self.trajectories(), b.blobs.frame, self.state.identity, b.is_individual, self.tracked(),
                           jump_sigmas)

    def blobs_at(self, frame: int) -> np.ndarray:
        """Indices of the blobs of ``frame``."""
        return np.flatnonzero(self.blobs.blobs.frame == frame)

    def _edit(self, state: ValidationState, **what: object) -> None:
        self.history.push(state)
        self.edits = self.edits[:len(self.edits) - self.undone] + [what]
        self.undone = 0

    def change_identity(self, blob: int, new: int, propagate: bool = True) -> None:
        self._check_identity(new, allow_zero=True)
        self._edit(change_identity(self.state, blob, new, self.blobs.fragment, propagate),
                   edit="change identity", blob=int(blob), frame=int(self.blobs.blobs.frame[blob]),
                   identity=int(new), propagate=bool(propagate))

    def swap(self, a: int, b: int, from_frame: int) -> None:
        self._check_identity(a)
        self._check_identity(b)
        self._edit(swap_identities(self.state, a, b, from_frame, self.blobs.blobs.frame), edit="swap identities",
                   identities=[int(a), int(b)], frame=int(from_frame))

    def place(self, frame: int, identity: int, xy: tuple[float, float] | None) -> None:
        self._check_identity(identity)
        self._edit(place_centroid(self.state, frame, identity, xy), edit="place centroid" if xy else "remove centroid",
                   frame=int(frame), identity=int(identity), position=None if xy is None else list(map(float, xy)))

    def interpolate(self, identity: int, start: int, stop: int, order: int = 3) -> None:
        self._check_identity(identity)
        try:
            state = interpolate_gap(self.state, self.trajectories(), identity, start, stop, order)
        except ValueError as error:
            raise UserError(str(error)) from None
        self._edit(state, edit="interpolate", identity=int(identity), frames=[int(start), int(stop)], order=int(order))

    def set_label(self, identity: int, label: str) -> None:
        """Name an identity (idtracker.ai's identities_labels); empty puts its number back."""
        self._check_identity(identity)
        self.labels[identity - 1] = label.strip() or str(identity)

    def set_group(self, name: str, identities: list[int]) -> None:
        """A named group of identities (identities_groups); no identities removes the group."""
        name = name.strip()
        if not name:
            raise UserError("group name: give the group a name")
        for identity in identities:
            self._check_identity(identity)
        if identities:
            self.groups[name] = sorted(set(int(i) for i in identities))
        else:
            self.groups.pop(name, None)

    def add_calibration(self, a: tuple[float, float], b: tuple[float, float], distance: float) -> float:
        """Two points ``distance`` (in the user's unit) apart; returns the length unit (px per unit) now."""
        pixels = float(np.hypot(b[0] - a[0], b[1] - a[1]))
        if not distance > 0 or not pixels > 0:
            raise UserError(f"length calibration: two different points and a real distance > 0 are needed (got {distance})")
        self.calibrations.append({"points": [list(map(float, a)), list(map(float, b))], "pixels": pixels,
                                  "distance": float(distance)})
        return self.length_unit

    @property
    def length_unit(self) -> float | None:
        """Pixels per unit of length, averaged over the calibrations (idtracker.ai's length_unit)."""
        return float(np.mean([c["pixels"] / c["distance"] for c in self.calibrations])) if self.calibrations else None

    def undo(self) -> None:
        if self.history.at > 0:
            self.history.undo()
            self.undone += 1

    def redo(self) -> None:
        if self.history.at < len(self.history.states) - 1:
            self.history.redo()
            self.undone -= 1

    @property
    def applied_edits(self) -> list[dict]:
        """Every edit the current state holds, oldest first (undone ones excluded)."""
        return self.edits[:len(self.edits) - self.undone]

    def _check_identity(self, identity: int, allow_zero: bool = False) -> None:
        if not (allow_zero and identity == 0) and not 1 <= identity <= self.number_of_identities:
            raise UserError(f"identity {identity}: valid identities are 1-{self.number_of_identities}")


@attrs.define
class Validation:
    """Opens sessions for validation and saves them (ports are plain callables the container gives)."""

    read_session: Callable[[Path], dict]
    read_blobs: Callable[[Path], SessionBlobs]
    read_trajectories: Callable[[Path], dict]
    write_trajectories: Callable[..., list[Path]]
    write_validated_blobs: Callable[[Path, np.ndarray, dict], Path]
    write_json: Callable[[Path, dict], Path]
    events: EventSink

    def open(self, folder: Path) -> ValidationSession:
        """The session in ``folder`` with its last saved validation, if any.

        Raises:
            UserError: not a finished session (no session.json, blobs or trajectories).
        """
        info = self.read_session(folder)
        blobs = self.read_blobs(folder)
        record = self.read_trajectories(folder / "trajectories")
        placed = dict(blobs.placed) if blobs.placed is not None else \
            _placed_by_tracking(blobs, np.asarray(record["trajectories"], float))
        state = ValidationState(blobs.identity.copy(), placed)
        n = int(np.asarray(record["trajectories"]).shape[1])
        labels = [str(x) for x in (info.get("identities_labels") or record.get("identities_labels") or [])][:n]
        labels += [str(k + 1) for k in range(len(labels), n)]
        groups = {str(k): [int(i) for i in v] for k, v in (info.get("identities_groups") or {}).items()}
        calibrations = [c for c in info.get("length_calibrations") or [] if isinstance(c, dict)]
        return ValidationSession(folder, info, blobs, record, EditHistory([state]), labels=labels, groups=groups,
                                 calibrations=calibrations)

    def save(self, session: ValidationSession) -> list[Path]:
        """Write the validated trajectories beside the originals, the state, the edits and last_validated."""
        trajectories = session.trajectories()
        original = np.asarray(session.record["trajectories"], float)
        probabilities = np.asarray(session.record["id_probabilities"], float).copy()
        unchanged = np.all(np.isclose(trajectories, original) | (np.isnan(trajectories) & np.isnan(original)), axis=2)
        probabilities[~unchanged] = np.nan
        probabilities[np.isnan(trajectories[..., 0])] = 0.0
        record = {**session.record, "trajectories": trajectories, "id_probabilities": probabilities,
                  "fraction_identified": float(np.isfinite(trajectories).mean()),
                  "identities_labels": list(session.labels), "identities_groups": dict(session.groups),
                  "length_unit": session.length_unit}
        formats = list(session.info.get("trajectories_formats") or ["h5", "npy", "csv"])
        files = self.write_trajectories(record, session.folder / "trajectories", formats, stem=VALIDATED_STEM)
        files.append(self.write_validated_blobs(session.folder, session.state.identity, session.state.placed))
        now = datetime.datetime.now().isoformat(timespec="seconds")
        files.append(self.write_json(session.folder / "validation.json",
                                     {"last_validated": now, "edits": session.applied_edits}))
        files.append(self.write_json(session.folder / "session.json", {
            **session.info, "last_validated": now, "identities_labels": list(session.labels),
            "identities_groups": dict(session.groups), "length_calibrations": list(session.calibrations)}))
        session.info["last_validated"] = now
        self.events.publish(ev.ValidationSaved(str(session.folder), len(session.applied_edits), len(files)))
        return files


def _placed_by_tracking(blobs: SessionBlobs, trajectories: np.ndarray) -> dict:
    """Positions the tracker gave without a blob of that identity (animals followed through crossings),
    so the validator starts from the trajectories the session wrote."""
    b = blobs.blobs
    own = ValidationState(blobs.identity).trajectories(b.frame, b.centroid, trajectories.shape[1], len(trajectories))
    frames, ids = np.nonzero(np.isnan(own[..., 0]) & np.isfinite(trajectories[..., 0]))
    return {(int(t), int(k) + 1): (float(trajectories[t, k, 0]), float(trajectories[t, k, 1])) for t, k in zip(frames, ids)}
