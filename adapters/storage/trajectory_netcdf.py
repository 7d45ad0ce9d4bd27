"""Trajectories as movement's native poses dataset: ``trajectories.nc`` (netCDF-4 through xarray and h5netcdf).

movement (the neuroinformatics toolbox for animal tracks) opens it with ``xarray.open_dataset``
as one of its own: variables ``position`` (time, space, keypoints, individuals) and
``confidence`` (time, keypoints, individuals), one keypoint ``centroid``, time in seconds from
the frame rate, and the attributes movement writes itself (``source_software``, ``ds_type``,
``fps``, ``time_unit``). The layout is movement 0.15's (the newest for Python 3.11); movement 0.17
renamed the dimensions ``keypoint``/``individual`` and converts 0.15 files itself. Everything else of
idtracker.ai's dict rides along as JSON in the attribute ``idtrackerai_attributes``, so converting
back gives the same dict.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .atomic_file import atomic_target
from .trajectory_attributes import attributes_json

ATTRIBUTES_KEY = "idtrackerai_attributes"
KEYPOINT = "centroid"


def _individuals(data: dict[str, Any], n: int) -> list[str]:
    """Individual names: the identities' labels when they are n distinct names, else 1..n."""
    labels = [str(x) for x in (data.get("identities_labels") or [])]
    return labels if len(labels) == n and len(set(labels)) == n else [str(k + 1) for k in range(n)]


def write_nc(data: dict[str, Any], path: Path) -> list[Path]:
    import xarray as xr

    positions = np.asarray(data["trajectories"], float)
    confidence = np.asarray(data["id_probabilities"], float)[..., 0]
    frames, n = positions.shape[:2]
    fps = float(data["frames_per_second"])
    fps = fps if fps > 0 else 1.0  # a container that reports no frame rate: time in frames
    dataset = xr.Dataset(
        {"position": (("time", "space", "keypoints", "individuals"), positions.transpose(0, 2, 1)[:, :, None, :]),
         "confidence": (("time", "keypoints", "individuals"), confidence[:, None, :])},
        coords={"time": np.arange(frames) / fps, "space": ["x", "y"], "keypoints": [KEYPOINT],
                "individuals": _individuals(data, n)},
        attrs={"source_software": "idtracker", "ds_type": "poses", "fps": fps, "time_unit": "seconds",
               ATTRIBUTES_KEY: attributes_json(data, exclude=("trajectories", "id_probabilities"))})
    with atomic_target(path) as tmp:
        dataset.to_netcdf(tmp, engine="h5netcdf")
    return [path]


def read_nc(path: Path) -> dict[str, Any]:
    import xarray as xr

    with xr.open_dataset(path, engine="h5netcdf") as dataset:
        position = dataset["position"].transpose("time", "individuals", "space", "keypoints").values[..., 0]
        confidence = dataset["confidence"].transpose("time", "individuals", "keypoints").values
        attributes = json.loads(dataset.attrs.get(ATTRIBUTES_KEY, "{}"))
        fps = float(dataset.attrs.get("fps", attributes.get("frames_per_second", 1.0)))
    return {**attributes, "trajectories": position.astype(np.float64),
            "id_probabilities": confidence.astype(np.float64), "frames_per_second": fps}
