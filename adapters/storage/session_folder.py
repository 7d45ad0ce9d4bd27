"""A session folder on disk: every write atomic (temp file in the same folder, then rename)."""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
from idtracker.adapters.storage.trajectory_files import write_trajectories
from idtracker.application.errors import UserError


def _atomic_write(path: Path, payload: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(payload)
    os.replace(tmp, path)
    return path


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class SessionFolder:
    """Implements the SessionStore port on ``<output_dir>/session_<name>``."""

    def __init__(self, folder: Path):
        """Creates the folder.

        Raises:
            UserError: it cannot be created (read-only place, a file in the way, no permission).
        """
        self._folder = Path(folder).resolve()
        try:
            (self._folder / "preprocessing").mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UserError(f"output_dir: cannot create the session folder {self._folder} ({error.strerror or error}); "
                            "give an output_dir you can write to") from None

    @property
    def folder(self) -> Path:
        return self._folder

    def write_json(self, relative: str, data: dict) -> Path:
        text = json.dumps(data, indent=2, default=_json_default, allow_nan=True)
        return _atomic_write(self._folder / relative, text.encode())

    def write_text(self, relative: str, text: str) -> Path:
        return _atomic_write(self._folder / relative, text.encode())

    def write_arrays(self, relative: str, arrays: dict[str, np.ndarray]) -> Path:
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return _atomic_write(self._folder / relative, buffer.getvalue())

    def write_trajectories(self, data: dict, formats: list[str]) -> list[Path]:
        return write_trajectories(data, self._folder / "trajectories", formats)

    def read_json(self, relative: str) -> dict | None:
        path = self._folder / relative
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            return None
        return data if isinstance(data, dict) else None

    def read_arrays(self, relative: str) -> dict[str, np.ndarray] | None:
        """Everything is read at once: an interrupted session's checkpoints are small next to its video."""
        path = self._folder / relative
        try:
            with np.load(path, allow_pickle=False) as archive:
                return {name: archive[name] for name in archive.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile):
            return None

    def remove(self, relative: str) -> bool:
        path = self._folder / relative
        if path.is_dir():
            shutil.rmtree(path)
            return True
        if path.exists():
            path.unlink()
            return True
        return False
