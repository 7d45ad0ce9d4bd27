"""``gt.npz``: ground truth of a rendered video, in the layout ``shared/tools/score.py`` reads.

Keys: ``positions`` (F, N, 2) float64, ``touching`` (F, N) bool, ``body_length`` float64 scalar,
``areas`` (F, N) int64, plus whatever else the writer adds (headings, looks, render settings) for
people who want to dig deeper; readers rely only on the first four.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from idtracker.application.errors import UserError
from idtracker.domain.ground_truth import GroundTruth

FILE_NAME = "gt.npz"
_REQUIRED = ("positions", "touching", "body_length")


def write_ground_truth(truth: GroundTruth, folder: Path, **extras: np.ndarray | float | str) -> Path:
    """Write ``folder/gt.npz`` and return its path; ``extras`` are stored under their own names."""
    path = Path(folder) / FILE_NAME
    np.savez_compressed(path, positions=truth.positions.astype(np.float64), touching=truth.touching.astype(bool),
                        body_length=np.float64(truth.body_length), areas=truth.areas.astype(np.int64),
                        **{k: np.asarray(v) for k, v in extras.items()})
    return path


def read_ground_truth(path: str | Path) -> GroundTruth:
    """Ground truth from a ``gt.npz`` file or the folder that holds one.

    Raises:
        UserError: no such file, or it lacks the keys score.py needs.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        path = path / FILE_NAME
    if not path.is_file():
        raise UserError(f"ground truth: {path} not found")
    with np.load(path) as data:
        missing = [k for k in _REQUIRED if k not in data.files]
        if missing:
            raise UserError(f"ground truth: {path} lacks {', '.join(missing)}")
        positions = data["positions"].astype(np.float64)
        areas = data["areas"].astype(np.int64) if "areas" in data.files else np.zeros(positions.shape[:2], np.int64)
        return GroundTruth(positions=positions, touching=data["touching"].astype(bool),
                           body_length=float(data["body_length"]), areas=areas)
