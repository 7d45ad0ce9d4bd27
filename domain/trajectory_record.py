"""The trajectories record of idtracker.ai, built and normalised so every file format round-trips it.

Analysis scripts written for idtracker.ai index this dict by key and rely on its dtypes, so the
key order, the array shapes and the scalar types are fixed here once and every reader passes
what it parsed through :func:`from_mapping`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

TRAJECTORY_KEYS = (
    "trajectories", "id_probabilities", "version", "height", "width", "video_paths", "frames_per_second",
    "body_length", "estimated_accuracy", "areas", "setup_points", "identities_labels", "identities_groups",
    "length_unit", "silhouette_score", "fragment_connectivity", "fraction_identified",
)
REQUIRED_KEYS = ("trajectories", "version", "height", "width", "video_paths", "frames_per_second", "body_length")
AREA_KEYS = ("mean", "median", "std")


def trajectories_dict(*, trajectories: np.ndarray, version: str, height: int, width: int,
                      video_paths: Iterable[Any], frames_per_second: float, body_length: float,
                      id_probabilities: np.ndarray | None = None, estimated_accuracy: float | None = None,
                      areas: Mapping[str, Any] | None = None, setup_points: Mapping[str, Any] | None = None,
                      identities_labels: Iterable[Any] | None = None,
                      identities_groups: Mapping[str, Any] | None = None, length_unit: float | None = None,
                      silhouette_score: float | None = None, fragment_connectivity: float | None = None,
                      fraction_identified: float | None = None) -> dict[str, Any]:
    """Build the trajectories dict, keys in idtracker.ai's order, values in its types.

    Optional values default to what idtracker.ai writes when it has nothing better: NaN
    probabilities (0 where the animal is absent), NaN areas, labels "1".."N", empty setup points
    and groups, and the fraction of finite positions.

    Args:
        trajectories: (F, N, 2) positions x, y per frame and identity (column id - 1), NaN if unknown.
        id_probabilities: (F, N, 1) or (F, N) identity certainty per frame and identity.
        areas: {"mean", "median", "std"}, each (N,) area statistics per identity.

    Returns:
        The dict with exactly :data:`TRAJECTORY_KEYS`: float64 arrays, Python scalars, lists of str.

    Raises:
        ValueError: an array has the wrong shape.
    """
    positions = np.asarray(trajectories, dtype=np.float64)
    if positions.ndim != 3 or positions.shape[2] != 2:
        raise ValueError(f"trajectories must have shape (frames, animals, 2), got {positions.shape}")
    n_frames, n_animals = positions.shape[:2]
    return {
        "trajectories": positions,
        "id_probabilities": _probabilities(id_probabilities, positions),
        "version": str(version),
        "height": int(height),
        "width": int(width),
        "video_paths": [str(path) for path in video_paths],
        "frames_per_second": float(frames_per_second),
        "body_length": float(body_length),
        "estimated_accuracy": _optional_float(estimated_accuracy),
        "areas": _areas(areas, n_animals),
        "setup_points": {str(name): np.asarray(points).tolist() for name, points in (setup_points or {}).items()},
        "identities_labels": ([str(i + 1) for i in range(n_animals)] if identities_labels is None
                              else [str(label) for label in identities_labels]),
        "identities_groups": {str(name): [int(i) for i in np.asarray(ids).reshape(-1)]
                              for name, ids in (identities_groups or {}).items()},
        "length_unit": _optional_float(length_unit),
        "silhouette_score": _optional_float(silhouette_score),
        "fragment_connectivity": _optional_float(fragment_connectivity),
        "fraction_identified": (float(np.isfinite(positions).mean()) if positions.size else 0.0)
        if fraction_identified is None else float(fraction_identified),
    }


def from_mapping(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise a parsed dict (any format, any idtracker.ai version) into :func:`trajectories_dict`.

    Keys this format does not define are dropped, so every reader returns the same keys.

    Raises:
        ValueError: a required key is missing or an array has the wrong shape.
    """
    missing = [key for key in REQUIRED_KEYS if key not in mapping]
    if missing:
        raise ValueError(f"missing keys {', '.join(missing)}")
    return trajectories_dict(**{key: mapping[key] for key in TRAJECTORY_KEYS if key in mapping})


def _probabilities(id_probabilities: np.ndarray | None, positions: np.ndarray) -> np.ndarray:
    shape = (*positions.shape[:2], 1)
    if id_probabilities is None:
        probabilities = np.full(shape, np.nan)
        probabilities[np.isnan(positions[..., :1])] = 0.0
        return probabilities
    probabilities = np.asarray(id_probabilities, dtype=np.float64)
    if probabilities.size != positions.shape[0] * positions.shape[1]:
        raise ValueError(f"id_probabilities must have shape {shape}, got {probabilities.shape}")
    return probabilities.reshape(shape)


def _areas(areas: Mapping[str, Any] | None, n_animals: int) -> dict[str, np.ndarray]:
    if areas is None:
        return {key: np.full(n_animals, np.nan) for key in AREA_KEYS}
    out = {key: np.asarray(areas[key], dtype=np.float64).reshape(-1) for key in AREA_KEYS}
    if any(len(values) != n_animals for values in out.values()):
        raise ValueError(f"areas must hold {n_animals} values per statistic")
    return out


def _optional_float(value: float | None) -> float | None:
    return None if value is None else float(value)
