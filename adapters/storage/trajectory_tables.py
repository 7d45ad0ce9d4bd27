"""The tabular trajectories files (csv folder, tidy csv, parquet) in idtracker.ai's layouts.

Precision: the text formats keep what their number formats print: positions to 3 decimals
(``%.3f``), probabilities to 4 significant digits (``%.3e``) and, in ``areas.csv``, areas to 1
decimal (``%.1f``). Parquet stores float64 and is exact; the tidy files keep the areas exactly in
their JSON attributes.

The tidy csv and parquet tables hold one row per frame and identity, absent animals included
(x, y NaN, probability 0), so the number of frames and animals and every NaN survive a round
trip. ``individual`` is 0-based there, as in idtracker.ai, while every other id output is 1-based.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .atomic_file import atomic_target
from .trajectory_attributes import attributes_json

TIDY_ATTRIBUTES = "attributes_tidy.json"
#: Attribute files hold a few scalars and lists (idtracker.ai's are under 10 kB); larger ones are
#: refused rather than parsed into memory.
MAX_ATTRIBUTES_BYTES = 16 * 1024 * 1024
TIDY_COLUMNS = ("frame", "time", "individual", "x", "y", "probability")
TIDY_FORMATS = ("%d", "%.3f", "%d", "%.3f", "%.3f", "%.3e")
PARQUET_ATTRIBUTES_KEY = b"idtrackerai_attributes"
AREAS_HEADER = "mean, median, standard_deviation"
TABLE_KEYS = ("trajectories", "id_probabilities")


def write_csv_folder(data: dict[str, Any], folder: Path) -> list[Path]:
    """``trajectories.csv``, ``id_probabilities.csv``, ``areas.csv`` and ``attributes.json`` in ``folder``.

    Positions are written ``x1,y1,x2,y2,...`` even for a single animal (idtracker.ai then writes
    ``trajectories1,trajectories2``; the reader accepts both).
    """
    positions, probabilities = data["trajectories"], data["id_probabilities"]
    n_frames, n_animals = positions.shape[:2]
    time = np.arange(n_frames) / data["frames_per_second"]
    position_header = ",".join(f"{axis}{i}" for i in range(1, n_animals + 1) for axis in "xy")
    probability_header = ",".join(f"id_probabilities{i}" for i in range(1, n_animals + 1))
    areas = np.column_stack([data["areas"][key] for key in ("mean", "median", "std")])
    return [
        _savetxt(folder / "trajectories.csv", np.column_stack([time, positions.reshape(n_frames, -1)]),
                 "%.3f", ",", f"time,{position_header}"),
        _savetxt(folder / "id_probabilities.csv", np.column_stack([time, probabilities.reshape(n_frames, -1)]),
                 ["%.3f"] + ["%.3e"] * n_animals, ",", f"time,{probability_header}"),
        _savetxt(folder / "areas.csv", areas, "%.1f", ", ", AREAS_HEADER),
        _write_text(folder / "attributes.json", attributes_json(data, (*TABLE_KEYS, "areas"))),
    ]


def read_csv_folder(folder: Path) -> dict[str, Any]:
    """The dict from a ``*_csv`` folder; every column but ``time`` is a coordinate, in x, y pairs."""
    import pandas as pd

    positions = pd.read_csv(folder / "trajectories.csv").drop(columns="time").to_numpy(np.float64)
    probabilities = pd.read_csv(folder / "id_probabilities.csv").drop(columns="time").to_numpy(np.float64)
    areas = pd.read_csv(folder / "areas.csv", skipinitialspace=True)
    data = _attributes(folder / "attributes.json")
    return data | {
        "trajectories": positions.reshape(len(positions), -1, 2),
        "id_probabilities": probabilities,
        "areas": {"mean": areas["mean"], "median": areas["median"], "std": areas["standard_deviation"]},
    }


def write_tidy_csv(data: dict[str, Any], path: Path) -> list[Path]:
    """``<name>_tidy.csv`` (one row per frame and animal) and ``attributes_tidy.json`` next to it."""
    columns = _long_columns(data)
    table = np.column_stack([columns[name] for name in TIDY_COLUMNS])
    return [
        _savetxt(path, table, list(TIDY_FORMATS), ",", ",".join(TIDY_COLUMNS)),
        _write_text(path.with_name(TIDY_ATTRIBUTES), attributes_json(data, TABLE_KEYS)),
    ]


def read_tidy_csv(path: Path) -> dict[str, Any]:
    import pandas as pd

    table = pd.read_csv(path)
    attributes = _attributes(path.with_name(TIDY_ATTRIBUTES))
    return attributes | _from_long_columns({name: table[name].to_numpy() for name in TIDY_COLUMNS}, attributes)


def write_parquet(data: dict[str, Any], path: Path) -> list[Path]:
    """Long table; the other keys as JSON under the schema metadata key ``idtrackerai_attributes``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(_long_columns(data))
    table = table.replace_schema_metadata({PARQUET_ATTRIBUTES_KEY: attributes_json(data, TABLE_KEYS)})
    with atomic_target(path) as tmp:
        pq.write_table(table, tmp)
    return [path]


def read_parquet(path: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    attributes = json.loads((table.schema.metadata or {})[PARQUET_ATTRIBUTES_KEY])
    columns = {name: table.column(name).to_numpy() for name in TIDY_COLUMNS}
    return attributes | _from_long_columns(columns, attributes)


def _long_columns(data: dict[str, Any]) -> dict[str, np.ndarray]:
    """Frame-major columns: rows (frame 0, animal 0), (frame 0, animal 1), ..."""
    positions = data["trajectories"]
    n_frames, n_animals = positions.shape[:2]
    frame = np.repeat(np.arange(n_frames, dtype=np.int64), n_animals)
    return {
        "frame": frame,
        "time": frame / data["frames_per_second"],
        "individual": np.tile(np.arange(n_animals, dtype=np.int64), n_frames),
        "x": positions[..., 0].reshape(-1),
        "y": positions[..., 1].reshape(-1),
        "probability": data["id_probabilities"].reshape(-1),
    }


def _from_long_columns(columns: dict[str, np.ndarray], attributes: dict[str, Any]) -> dict[str, np.ndarray]:
    """Positions and probabilities back on the (frame, animal) grid.

    Missing rows (tables that leave absent animals out) become NaN positions with probability 0;
    the number of animals also counts labelled identities that never appear.
    """
    frame = columns["frame"].astype(np.int64)
    individual = columns["individual"].astype(np.int64)
    n_frames = int(frame.max()) + 1 if len(frame) else 0
    n_animals = max(len(attributes.get("identities_labels", ())), int(individual.max()) + 1 if len(individual) else 0)
    positions = np.full((n_frames, n_animals, 2), np.nan)
    probabilities = np.zeros((n_frames, n_animals))
    positions[frame, individual] = np.column_stack([columns["x"], columns["y"]])
    probabilities[frame, individual] = columns["probability"]
    return {"trajectories": positions, "id_probabilities": probabilities}


def _savetxt(path: Path, table: np.ndarray, fmt: str | list[str], delimiter: str, header: str) -> Path:
    with atomic_target(path) as tmp:
        np.savetxt(tmp, table, fmt=fmt, delimiter=delimiter, header=header, comments="")
    return path


def _write_text(path: Path, text: str) -> Path:
    with atomic_target(path) as tmp:
        tmp.write_text(text)
    return path


def _attributes(path: Path) -> dict[str, Any]:
    """The attributes JSON beside a table, as data only.

    Raises:
        ValueError: the file is larger than ``MAX_ATTRIBUTES_BYTES``, not JSON, or not an object.
    """
    size = path.stat().st_size
    if size > MAX_ATTRIBUTES_BYTES:
        raise ValueError(f"{path.name} is {size} bytes; attributes files are under {MAX_ATTRIBUTES_BYTES} bytes")
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path.name} holds no attributes object")
    return data
