"""Trajectories files in every format idtracker.ai writes, chosen by name; reads any of them back.

Writing goes through one entry point, :func:`write_trajectories`, so the tracking use case and
``idtrackerai_format`` produce identical files. Reading accepts what idtracker.ai's own loader
accepts (a file, a ``*_csv`` folder, a trajectories folder or a session folder) and always
returns the dict of :mod:`idtracker.domain.trajectory_record`, so conversions between formats are lossless up to
the precision a text format prints (see :mod:`.trajectory_tables`).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from idtracker.application.errors import UserError
from idtracker.domain.trajectory_record import TRAJECTORY_KEYS, from_mapping, trajectories_dict

from .trajectory_binary import read_h5, read_npy, read_pickle, write_h5, write_npy, write_pickle
from .trajectory_netcdf import read_nc, write_nc
from .trajectory_tables import read_csv_folder, read_parquet, read_tidy_csv, write_csv_folder, write_parquet, write_tidy_csv

__all__ = ["FORMATS", "TRAJECTORY_KEYS", "find_trajectories", "read_trajectories", "trajectories_dict",
           "write_trajectories"]

Writer = Callable[[dict[str, Any], Path], list[Path]]
Reader = Callable[[Path], dict[str, Any]]

WRITERS: dict[str, tuple[str, Writer]] = {
    "h5": ("trajectories.h5", write_h5),
    "npy": ("trajectories.npy", write_npy),
    "csv": ("trajectories_csv", write_csv_folder),
    "csv_tidy": ("trajectories_tidy.csv", write_tidy_csv),
    "pickle": ("trajectories.pickle", write_pickle),
    "parquet": ("trajectories.parquet", write_parquet),
    "nc": ("trajectories.nc", write_nc),
}
FORMATS = tuple(WRITERS)
READERS_BY_SUFFIX: dict[str, Reader] = {
    ".h5": read_h5, ".hdf5": read_h5, ".npy": read_npy, ".pickle": read_pickle, ".parquet": read_parquet,
    ".nc": read_nc,
}
SEARCH_NAMES = ("trajectories", "validated", "without_gaps", "with_gaps", "trajectories_validated",
                "trajectories_wo_gaps", "trajectories_wo_identification")
SEARCH_SUFFIXES = (".h5", ".hdf5", ".npy", ".pickle", "_csv", "_tidy.csv", ".parquet", ".nc")
ACCEPTED = ("a trajectories file (.h5, .hdf5, .npy, .pickle, _tidy.csv, .parquet, .nc), a *_csv folder, "
            "a trajectories folder or a session folder")
READ_ERRORS = (OSError, ValueError, KeyError, TypeError, EOFError, pickle.UnpicklingError)


def write_trajectories(data: dict[str, Any], folder: Path, formats: Iterable[str],
                       stem: str = "trajectories") -> list[Path]:
    """Write the trajectories dict in each requested format inside ``folder``, every file atomically.

    Args:
        data: the trajectories dict (see :func:`trajectories_dict`); it is normalised first, so
            every format holds the same keys, order and dtypes.
        folder: the session's ``trajectories/`` folder (created if missing).
        formats: names from :data:`FORMATS`; repeats are written once.
        stem: the files' name in place of ``trajectories`` (the validator writes ``trajectories_validated``).

    Returns:
        Every file written, in the order of ``formats``.

    Raises:
        UserError: a format is not one of :data:`FORMATS`.
    """
    formats = list(dict.fromkeys(formats))
    unknown = [name for name in formats if name not in WRITERS]
    if unknown:
        raise UserError(f"trajectories format {unknown[0]!r} unknown; accepted: {', '.join(FORMATS)}")
    data = from_mapping(data)
    written: list[Path] = []
    for name in formats:
        file_name, writer = WRITERS[name]
        written += writer(data, Path(folder) / file_name.replace("trajectories", stem, 1))
    return written


def read_trajectories(path: Path) -> dict[str, Any]:
    """The trajectories dict from any file, folder or session that :func:`find_trajectories` accepts.

    Raises:
        UserError: nothing readable there, or the file is damaged or incomplete.
    """
    source = find_trajectories(path)
    try:
        return from_mapping(_reader(source)(source))
    except READ_ERRORS as error:
        reason = " ".join(f"{type(error).__name__}: {error}".split())  # one line, whatever the library said
        raise UserError(f"{source}: not a readable trajectories file ({reason})") from error


def find_trajectories(path: Path) -> Path:
    """The trajectories file (or ``*_csv`` folder) that ``path`` names or holds.

    A folder is searched (its ``trajectories/`` subfolder first, as in a session folder) in
    idtracker.ai's order: names :data:`SEARCH_NAMES`, each with the suffixes :data:`SEARCH_SUFFIXES`.
    A ``.csv`` file inside a ``*_csv`` folder stands for its folder.

    Raises:
        UserError: ``path`` does not exist or holds no trajectories.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file or folder; expected {ACCEPTED}")
    if _reader(path) is not None:
        return path
    if path.suffix == ".csv" and _reader(path.parent) is not None:
        return path.parent
    if path.is_dir():
        folder = path / "trajectories" if (path / "trajectories").is_dir() else path
        for name in SEARCH_NAMES:
            for suffix in SEARCH_SUFFIXES:
                candidate = folder / f"{name}{suffix}"
                if candidate.exists() and _reader(candidate) is not None:
                    return candidate
    raise UserError(f"{path}: no trajectories found; expected {ACCEPTED}")


def _reader(path: Path) -> Reader | None:
    if path.is_dir():
        return read_csv_folder if path.name.endswith("_csv") and (path / "trajectories.csv").is_file() else None
    if path.name.endswith("_tidy.csv"):
        return read_tidy_csv
    return READERS_BY_SUFFIX.get(path.suffix.lower())
