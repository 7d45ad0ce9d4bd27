"""The binary trajectories files (npy, pickle, h5): exact, every value as written.

npy and pickle hold the dict itself, unpickled by ``safe_unpickle`` (a file that names any other
callable is refused before anything runs, so files from elsewhere are safe to open). The
h5 layout is idtracker.ai's: scalars, strings and lists of strings as root attributes,
``trajectories`` and ``id_probabilities`` as gzip datasets, ``areas``, ``setup_points`` and
``identities_groups`` as groups of datasets; ``length_unit`` is -1 when unknown and other
``None`` values are left out.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np

from .atomic_file import atomic_target
from .safe_unpickle import load_npy, load_pickle

H5_DATASETS = ("trajectories", "id_probabilities")
H5_GROUPS = ("areas", "setup_points", "identities_groups")
H5_STRING_LISTS = ("video_paths", "identities_labels")
UNKNOWN_LENGTH_UNIT = -1


def write_npy(data: dict[str, Any], path: Path) -> list[Path]:
    """``np.save`` of the dict as a 0-d object array: ``np.load(path, allow_pickle=True).item()``."""
    holder = np.empty((), dtype=object)
    holder[()] = data
    with atomic_target(path) as tmp, open(tmp, "wb") as file:
        np.save(file, holder, allow_pickle=True)
    return [path]


def read_npy(path: Path) -> dict[str, Any]:
    """The dict saved by :func:`write_npy` (or idtracker.ai).

    Raises:
        ValueError: the file holds a plain array, not a trajectories dict (``RefusedPickle`` when
            it names a callable no trajectories file holds).
    """
    holder = load_npy(path)
    if not isinstance(holder, np.ndarray) or holder.dtype != object or holder.ndim != 0 or not isinstance(holder.item(), dict):
        raise ValueError("the .npy file holds no trajectories dict")
    return holder.item()


def write_pickle(data: dict[str, Any], path: Path) -> list[Path]:
    with atomic_target(path) as tmp, open(tmp, "wb") as file:
        pickle.dump(data, file, protocol=pickle.HIGHEST_PROTOCOL)
    return [path]


def read_pickle(path: Path) -> dict[str, Any]:
    """The dict saved by :func:`write_pickle` (or idtracker.ai), unpickled with ``load_pickle``."""
    with open(path, "rb") as file:
        data = load_pickle(file)
    if not isinstance(data, dict):
        raise ValueError("the .pickle file holds no trajectories dict")
    return data


def write_h5(data: dict[str, Any], path: Path) -> list[Path]:
    import h5py

    with atomic_target(path) as tmp, h5py.File(tmp, "w") as file:
        for key, value in data.items():
            if key in H5_DATASETS:
                file.create_dataset(key, data=value, compression="gzip")
            elif key in H5_GROUPS:
                group = file.create_group(key)
                for name, values in value.items():
                    group.create_dataset(name, data=np.asarray(values))
            elif key in H5_STRING_LISTS:
                file.attrs[key] = np.array(value, dtype=h5py.string_dtype())
            elif key == "length_unit":
                file.attrs[key] = UNKNOWN_LENGTH_UNIT if value is None else value
            elif value is not None:
                file.attrs[key] = value
    return [path]


def read_h5(path: Path) -> dict[str, Any]:
    """The dict from an h5 file; absent attributes become ``None`` (as when they were written)."""
    import h5py

    with h5py.File(path, "r") as file:
        data: dict[str, Any] = {key: file[key][()] for key in H5_DATASETS if key in file}
        data |= {key: {name: dataset[()] for name, dataset in file[key].items()} for key in H5_GROUPS if key in file}
        data |= {key: _attribute(value) for key, value in file.attrs.items()}
    if data.get("length_unit") == UNKNOWN_LENGTH_UNIT:
        data["length_unit"] = None
    return data


def _attribute(value: Any) -> Any:
    """h5py returns string lists as object arrays (of bytes in older files) and numbers as numpy."""
    if isinstance(value, np.ndarray) and value.dtype == object:
        return [item.decode() if isinstance(item, bytes) else item for item in value]
    if isinstance(value, bytes):
        return value.decode()
    return value.item() if isinstance(value, np.generic) else value
