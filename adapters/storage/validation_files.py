"""The validator's files: a session's blobs (``preprocessing/blobs.npz``), the validated state, JSON, all as data only."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from idtracker.application.errors import UserError
from idtracker.application.validation import SessionBlobs
from idtracker.domain.blobs import BlobTable

from .atomic_file import atomic_target

BLOBS = Path("preprocessing") / "blobs.npz"
VALIDATED = Path("preprocessing") / "blobs_validated.npz"


def read_session_blobs(folder: Path) -> SessionBlobs:
    """The blobs of a finished session; identities and placed positions from its last validation when saved."""
    path = folder / BLOBS
    if not path.is_file():
        raise UserError(f"{folder}: no {BLOBS}; give a session folder written by idtrackerai (tracking finished)")
    try:
        with np.load(path, allow_pickle=False) as f:
            blobs = BlobTable(f["frame"], f["centroid"], f["area"], f["bbox"], f["contour_points"], f["contour_offsets"])
            session = SessionBlobs(blobs, f["fragment"], f["is_individual"].astype(bool), f["identity"].astype(np.int64))
        validated = folder / VALIDATED
        if validated.is_file():
            with np.load(validated, allow_pickle=False) as f:
                if len(f["identity"]) != len(blobs):  # from before the session was tracked again
                    return session
                placed = {(int(t), int(k)): (float(x), float(y)) for (t, k), (x, y) in zip(f["placed_key"], f["placed_xy"])}
                session = SessionBlobs(blobs, session.fragment, session.is_individual, f["identity"].astype(np.int64),
                                       placed)
    except (OSError, KeyError, ValueError) as error:
        raise UserError(f"{path}: not a readable blobs file ({error})") from None
    return session


def write_validated_blobs(folder: Path, identity: np.ndarray, placed: dict) -> Path:
    """``preprocessing/blobs_validated.npz``: every blob's identity and the placed positions, atomically."""
    keys = np.array(list(placed), np.int64).reshape(-1, 2)
    xy = np.array(list(placed.values()), float).reshape(-1, 2)
    buffer = io.BytesIO()
    np.savez(buffer, identity=identity, placed_key=keys, placed_xy=xy)
    path = folder / VALIDATED
    with atomic_target(path) as tmp:
        tmp.write_bytes(buffer.getvalue())
    return path


def write_json(path: Path, data: dict) -> Path:
    with atomic_target(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    return path
