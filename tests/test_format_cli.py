"""``idtrackerai_format``: real files converted in tmp_path, errors as one line and exit status 2."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from idtracker.adapters.storage.trajectory_files import read_trajectories, trajectories_dict, write_trajectories
from idtracker.entrypoints.format_cli import main
from synthetic_videos import SHARED

REFERENCE_CSV = SHARED / "data" / "reference" / "test_A" / "trajectories_csv"


def _session(tmp_path: Path) -> Path:
    """A session folder whose trajectories/ holds only trajectories.npy."""
    positions = np.arange(5 * 2 * 2, dtype=np.float64).reshape(5, 2, 2)
    positions[1, 0] = np.nan
    data = trajectories_dict(trajectories=positions, version="0.1.0", height=100, width=200,
                             video_paths=["video.avi"], frames_per_second=25.0, body_length=20.0)
    write_trajectories(data, tmp_path / "session_test" / "trajectories", ["npy"])
    return tmp_path / "session_test"


def test_converts_a_session_into_the_requested_formats_inside_its_trajectories_folder(tmp_path, capsys):
    session = _session(tmp_path)
    assert main([str(session), "--formats", "h5", "csv_tidy", "parquet"]) == 0
    folder = session / "trajectories"
    names = sorted(path.name for path in folder.iterdir())
    assert names == ["attributes_tidy.json", "trajectories.h5", "trajectories.npy", "trajectories.parquet",
                     "trajectories_tidy.csv"]
    printed = capsys.readouterr().out
    assert f"written {folder / 'trajectories.h5'}" in printed
    assert f"written {folder / 'trajectories.parquet'}" in printed
    original = read_trajectories(folder / "trajectories.npy")["trajectories"]
    np.testing.assert_array_equal(read_trajectories(folder / "trajectories.h5")["trajectories"], original)


def test_writes_next_to_a_given_file(tmp_path):
    session = _session(tmp_path)
    source = session / "trajectories" / "trajectories.npy"
    moved = tmp_path / "elsewhere" / "trajectories.npy"
    moved.parent.mkdir()
    source.rename(moved)
    assert main([str(moved), "--formats", "pickle"]) == 0
    assert (moved.parent / "trajectories.pickle").is_file()


@pytest.mark.skipif(not REFERENCE_CSV.is_dir(), reason="reference data not available")
def test_converts_an_idtrackerai_csv_folder_into_its_parent_folder(tmp_path):
    source = shutil.copytree(REFERENCE_CSV, tmp_path / "trajectories_csv")
    assert main([str(source), "--formats", "npy"]) == 0
    converted = read_trajectories(tmp_path / "trajectories.npy")
    assert converted["trajectories"].shape == (501, 8, 2) and converted["version"] == "6.0.14"


def test_missing_path_exits_2_with_one_error_line_and_no_output(tmp_path, capsys):
    assert main([str(tmp_path / "nowhere"), "--formats", "npy"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("idtrackerai_format: error: ")
    assert str(tmp_path / "nowhere") in lines[0]


def test_folder_without_trajectories_exits_2(tmp_path, capsys):
    assert main([str(tmp_path), "--formats", "csv"]) == 2
    assert "no trajectories found" in capsys.readouterr().err


def test_unknown_format_is_refused_by_the_argument_parser(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main([str(_session(tmp_path)), "--formats", "xlsx"])
    assert exit_info.value.code == 2


def test_command_line_error_shows_no_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-m", "idtracker.entrypoints.format_cli", str(tmp_path / "nowhere"),
                           "--formats", "h5"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1
