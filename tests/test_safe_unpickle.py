"""Trajectories files from elsewhere cannot run code: booby-trapped npy and pickle files are refused
before their payload runs; genuine idtracker.ai files load unchanged."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from idtracker.adapters.storage.safe_unpickle import RefusedPickle, load_npy, load_pickle
from idtracker.adapters.storage.trajectory_binary import read_npy, read_pickle, write_npy, write_pickle
from idtracker.adapters.storage.trajectory_files import read_trajectories, write_trajectories
from synthetic_videos import SHARED

REFERENCE = SHARED / "data" / "reference" / "test_A"


class _Payload:
    """Unpickling this runs ``os.system('touch MARKER')``: what a booby-trapped file does."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _trapped_dict(marker: Path) -> dict:
    return {"trajectories": np.zeros((3, 2, 2)), "frames_per_second": 25.0, "payload": _Payload(marker)}


def _trapped_npy(path: Path, marker: Path) -> Path:
    holder = np.empty((), dtype=object)
    holder[()] = _trapped_dict(marker)
    np.save(path, holder, allow_pickle=True)
    return path


def _trapped_pickle(path: Path, marker: Path) -> Path:
    path.write_bytes(pickle.dumps(_trapped_dict(marker)))
    return path


@pytest.mark.parametrize("make, name", [(_trapped_npy, "trajectories.npy"), (_trapped_pickle, "trajectories.pickle")])
def test_idtrackerai_format_refuses_a_booby_trapped_file_and_its_payload_never_runs(tmp_path, make, name):
    marker = tmp_path / "payload_ran"
    trapped = make(tmp_path / name, marker)
    done = subprocess.run([sys.executable, "-m", "idtracker.entrypoints.format_cli", str(trapped), "--formats", "csv"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode != 0
    err = done.stderr.strip().splitlines()
    assert len(err) == 1 and name in err[0] and ("posix.system" in err[0] or "os.system" in err[0]), err
    assert not marker.exists()
    assert not (tmp_path / "trajectories_csv").exists()


def test_the_restricted_loaders_refuse_before_calling_anything(tmp_path):
    marker = tmp_path / "payload_ran"
    with open(_trapped_pickle(tmp_path / "t.pickle", marker), "rb") as file, pytest.raises(RefusedPickle):
        load_pickle(file)
    with pytest.raises(RefusedPickle):
        load_npy(_trapped_npy(tmp_path / "t.npy", marker))
    assert not marker.exists()


def test_our_own_files_load_unchanged(tmp_path):
    data = {"trajectories": np.arange(12.0).reshape(3, 2, 2), "id_probabilities": np.ones((3, 2, 1)),
            "frames_per_second": 25.0, "body_length": 40.0, "identities_groups": {"Region_0": {1, 2}},
            "video_paths": ["a.avi"], "estimated_accuracy": None}
    for write, read, name in ((write_npy, read_npy, "t.npy"), (write_pickle, read_pickle, "t.pickle")):
        write(data, tmp_path / name)
        loaded = read(tmp_path / name)
        np.testing.assert_array_equal(loaded["trajectories"], data["trajectories"])
        assert loaded["identities_groups"] == {"Region_0": {1, 2}} and loaded["frames_per_second"] == 25.0
    assert load_npy(_plain(tmp_path / "plain.npy")).shape == (4,)


def _plain(path: Path) -> Path:
    np.save(path, np.arange(4.0))
    return path


@pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"needs idtracker.ai's test_A trajectories ({REFERENCE})")
def test_genuine_idtrackerai_trajectories_load_unchanged(tmp_path):
    ours = read_trajectories(REFERENCE / "trajectories.npy")
    original = np.load(REFERENCE / "trajectories.npy", allow_pickle=True).item()  # trusted: the reference itself
    assert list(ours) == list(original)
    np.testing.assert_array_equal(ours["trajectories"], original["trajectories"])
    for fmt in ("h5", "npy", "pickle", "csv", "csv_tidy", "parquet"):
        write_trajectories(ours, tmp_path / fmt, [fmt])


def test_a_malformed_or_oversized_attributes_file_is_one_line(tmp_path):
    from idtracker.adapters.storage import trajectory_tables
    from idtracker.application.errors import UserError

    data = read_npy(_genuine_like(tmp_path / "source.npy"))
    write_trajectories(data, tmp_path, ["csv"])
    attributes = tmp_path / "trajectories_csv" / "attributes.json"
    attributes.write_text("[1, 2")
    with pytest.raises(UserError, match="not a readable trajectories file") as error:
        read_trajectories(tmp_path / "trajectories_csv")
    assert "\n" not in str(error.value)
    attributes.write_text("[]")
    with pytest.raises(UserError, match="holds no attributes object"):
        read_trajectories(tmp_path / "trajectories_csv")
    attributes.write_text(" " * (trajectory_tables.MAX_ATTRIBUTES_BYTES + 1))
    with pytest.raises(UserError, match="attributes files are under"):
        read_trajectories(tmp_path / "trajectories_csv")


def _genuine_like(path: Path) -> Path:
    """A complete trajectories file as this package writes it (all of idtracker.ai's keys)."""
    from idtracker.domain.trajectory_record import trajectories_dict

    record = trajectories_dict(trajectories=np.zeros((4, 2, 2)), version="6.0.14", height=100, width=100,
                               video_paths=["a.avi"], frames_per_second=25.0, body_length=40.0)
    write_npy(record, path)
    return path
