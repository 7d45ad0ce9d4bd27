"""dask_scheduler local: a real LocalCluster runs the episodes, and the trajectories are the plain run's."""

from __future__ import annotations

import numpy as np
import pytest

from idtracker.adapters.storage.trajectory_files import read_trajectories  # noqa: E402
from idtracker.adapters.video.renderer import RenderSettings, render_video  # noqa: E402
from idtracker.entrypoints.cli import main  # noqa: E402


def _track(video, tmp_path, name, *extra):
    assert main(["--load", str(video.with_suffix(".toml")), "--output_dir", str(tmp_path), "--name", name,
                 "--frames_per_episode", "100", "--track", *extra]) == 0
    return read_trajectories(tmp_path / f"session_{name}")


@pytest.mark.slow
def test_episodes_on_a_local_dask_cluster_give_the_same_trajectories(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.chdir(tmp_path)
    rendered = render_video(RenderSettings(animals=3, frames=300, width=300, height=300, body_length=30.0,
                                           distinctness=0.8, name="three"), tmp_path / "video")
    plain = _track(rendered.video_path, tmp_path, "plain")
    dask = _track(rendered.video_path, tmp_path, "dask", "--dask_scheduler", "local")
    assert np.array_equal(plain["trajectories"], dask["trajectories"], equal_nan=True)
    assert np.array_equal(plain["id_probabilities"], dask["id_probabilities"], equal_nan=True)
    log = (tmp_path / "idtrackerai.log").read_text()
    assert '"dask_scheduler": "local"' in log


def test_an_unreachable_scheduler_is_one_line(tmp_path, monkeypatch, capsys, dots_video):
    pytest.importorskip("distributed")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("idtracker.adapters.compute.dask_runner.CONNECT_TIMEOUT_S", 1)
    code = main(["--video_paths", str(dots_video), "--intensity_ths", "0", "100", "--area_ths", "50", "inf",
                 "--number_of_animals", "3", "--track_wo_identities", "true", "--output_dir", str(tmp_path),
                 "--dask_scheduler", "tcp://127.0.0.1:9", "--track"])
    assert code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "dask_scheduler: cannot reach 'tcp://127.0.0.1:9'" in line
