"""Our files in the analysis tools people use: movement (netCDF, its kinematics) and trajectorytools."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from idtracker.adapters.storage.trajectory_files import read_trajectories, write_trajectories
from idtracker.domain.trajectory_record import trajectories_dict
from idtracker.entrypoints.format_cli import main as format_main

FPS = 25.0


@pytest.fixture
def session(tmp_path) -> Path:
    """A session folder with trajectories of 3 animals swimming circles, in every format."""
    t = np.arange(200) / FPS
    positions = np.stack([np.stack([300 + 100 * np.cos(t + k), 300 + 100 * np.sin(t + k)], 1) for k in range(3)], 1)
    positions[50:55, 1] = np.nan
    probabilities = np.where(np.isnan(positions[..., :1]), 0.0, 0.97)
    data = trajectories_dict(trajectories=positions, id_probabilities=probabilities, version="test", height=600,
                             width=600, video_paths=["/data/fish.avi"], frames_per_second=FPS, body_length=30.0,
                             estimated_accuracy=0.995)
    folder = tmp_path / "session_circles"
    write_trajectories(data, folder / "trajectories", ["npy", "h5", "csv", "pickle", "nc"])
    return folder


def test_the_nc_file_is_a_movement_poses_dataset_and_its_velocity_is_right(session):
    movement = pytest.importorskip("movement")
    import xarray as xr
    from movement.kinematics import compute_velocity
    from movement.validators.datasets import ValidPosesInputs

    ds = xr.open_dataset(session / "trajectories" / "trajectories.nc")
    assert movement.__version__ == "0.15.0" and ds.attrs["ds_type"] == "poses" and ds.attrs["fps"] == FPS
    assert dict(ds.sizes) == {"time": 200, "space": 2, "keypoints": 1, "individuals": 3}
    assert ds.attrs["source_software"] == "idtracker" and ds.attrs["time_unit"] == "seconds"
    ValidPosesInputs(position_array=ds.position.transpose("time", "space", "keypoints", "individuals").values,
                      confidence_array=ds.confidence.values, individual_names=list(ds.individuals.values),
                      keypoint_names=list(ds.keypoints.values), fps=ds.attrs["fps"])
    velocity = compute_velocity(ds.position)
    speed = np.hypot(velocity.sel(space="x"), velocity.sel(space="y")).sel(keypoints="centroid", individuals="1")
    assert np.nanmedian(speed.values) == pytest.approx(100.0, rel=0.01)  # 100 px radius at 1 rad/s


def test_nc_converts_to_and_from_every_format_unchanged(session):
    assert format_main([str(session / "trajectories" / "trajectories.nc"), "--formats", "parquet"]) == 0
    original = read_trajectories(session / "trajectories" / "trajectories.npy")
    for name in ("trajectories.nc", "trajectories.parquet"):
        again = read_trajectories(session / "trajectories" / name)
        assert list(again) == list(original) and again["estimated_accuracy"] == original["estimated_accuracy"]
        assert np.array_equal(again["trajectories"], original["trajectories"], equal_nan=True)
        assert np.array_equal(again["id_probabilities"], original["id_probabilities"], equal_nan=True)


@pytest.mark.parametrize("name", ["", "trajectories/trajectories.npy", "trajectories/trajectories.h5",
                                  "trajectories/trajectories.pickle", "trajectories/trajectories_csv"])
def test_trajectorytools_reads_the_session_and_each_format(session, name):
    tt = pytest.importorskip("trajectorytools")
    tr = tt.Trajectories.from_idtrackerai(str(session / name) if name else str(session), interpolate_nans=False)
    # trajectorytools drops the first and last frame (it differentiates for velocity and acceleration)
    assert tr.s.shape == (200 - 2, 3, 2) and tr.params["frame_rate"] == FPS and tr.params["body_length_px"] == 30.0
    assert np.isnan(tr.s[50 - 1:55 - 1, 1]).all() and np.isfinite(tr.s[:, 0]).all()
