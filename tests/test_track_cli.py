"""End to end through the real ``idtrackerai`` command on videos rendered by the tests."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import h5py
import numpy as np
import pytest

from idtracker.entrypoints.cli import main

from synthetic_videos import SHARED, needs_shared, render_dots

BASE = ["--intensity_ths", "0", "100", "--area_ths", "50", "inf", "--number_of_animals", "3", "--track"]


def _track(tmp_path: Path, video: Path | list[Path], *extra: str) -> int:
    videos = [str(v) for v in (video if isinstance(video, list) else [video])]
    return main(["--video_paths", *videos, "--output_dir", str(tmp_path), "--track_wo_identities", "true",
                 "--name", "s", *BASE, *extra])


def _trajectories(tmp_path: Path) -> np.ndarray:
    return np.load(tmp_path / "session_s" / "trajectories" / "trajectories.npy", allow_pickle=True).item()["trajectories"]


def _nearest_distance(truth: np.ndarray, out: np.ndarray) -> np.ndarray:
    d = np.linalg.norm(truth[:, :, None, :] - out[:, None, :, :], axis=-1)
    return np.nanmin(np.where(np.isnan(d), np.inf, d), axis=2)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def test_tracking_writes_every_requested_format_with_positions_of_all_animals(tmp_path, dots_video):
    truth = render_dots(dots_video)
    assert _track(tmp_path, dots_video, "--trajectories_formats", "h5", "npy", "csv", "csv_tidy", "pickle", "parquet") == 0
    folder = tmp_path / "session_s" / "trajectories"
    for name in ("trajectories.h5", "trajectories.npy", "trajectories.pickle", "trajectories_tidy.csv",
                 "trajectories.parquet", "trajectories_csv/trajectories.csv"):
        assert (folder / name).exists(), name
    out = _trajectories(tmp_path)
    assert out.shape == (60, 3, 2) and out.dtype == np.float64
    assert np.all(_nearest_distance(truth, out) < 1.0)
    with h5py.File(folder / "trajectories.h5") as f:
        assert f["trajectories"].shape == (60, 3, 2)


def test_every_stage_is_in_the_json_event_log(tmp_path, dots_video):
    assert _track(tmp_path, dots_video) == 0
    events = [json.loads(line) for line in (tmp_path / "idtrackerai.log").read_text().splitlines()]
    names = [e["event"] for e in events]
    for expected in ("session_started", "blobs_segmented", "crossings_detected", "fragments_built",
                     "identities_assigned", "trajectories_written", "session_finished"):
        assert expected in names
    assert all(e["session"] == "s" for e in events)
    finished = events[names.index("session_finished")]
    assert finished["duration_s"] > 0 and "Animal detection" in finished["stage_durations_s"]
    assert (tmp_path / "session_s" / "idtrackerai.log").exists()


def test_session_json_times_every_stage_the_whole_session_included(tmp_path, dots_video):
    assert _track(tmp_path, dots_video) == 0
    timers = json.loads((tmp_path / "session_s" / "session.json").read_text())["timers"]
    assert {"Tracking session", "Animal detection", "Trajectories creation"} <= set(timers)
    for timer in timers.values():
        assert timer["start_time"] <= timer["finish_time"] and timer["duration_s"] >= 0
    parts = sum(t["duration_s"] for name, t in timers.items() if name != "Tracking session")
    assert timers["Tracking session"]["duration_s"] >= parts


def test_several_videos_are_one_timeline(tmp_path):
    first, second = tmp_path / "a.avi", tmp_path / "b.avi"
    render_dots(first, frames=30)
    render_dots(second, frames=20, seed=1)
    assert _track(tmp_path, [first, second], "--frames_per_episode", "12") == 0
    out = _trajectories(tmp_path)
    assert out.shape[0] == 50
    assert np.isfinite(out[:, :, 0]).sum(axis=1).min() == 3


def test_frames_outside_tracking_intervals_stay_nan(tmp_path, dots_video):
    render_dots(dots_video)
    assert _track(tmp_path, dots_video, "--tracking_intervals", "[5,20]", "[40,50]") == 0
    seen = np.isfinite(_trajectories(tmp_path)[:, :, 0]).any(axis=1)
    assert seen[5:20].all() and seen[40:50].all()
    assert not seen[:5].any() and not seen[20:40].any() and not seen[50:].any()


def test_roi_excludes_animals_outside_it(tmp_path, dots_video):
    render_dots(dots_video)
    roi = "+ Polygon [[0, 0], [160, 0], [160, 180], [0, 180]]"  # keeps the two left animals
    assert _track(tmp_path, dots_video, "--roi_list", roi) == 0
    out = _trajectories(tmp_path)
    assert out.shape[1] == 2
    assert (tmp_path / "session_s" / "preprocessing" / "ROI_mask.png").exists()


def test_background_subtraction_finds_the_animals_and_saves_the_background(tmp_path, dots_video):
    truth = render_dots(dots_video)
    assert _track(tmp_path, dots_video, "--use_bkg", "true", "--intensity_ths", "50", "255",
                  "--background_subtraction_stat", "max", "--data_policy", "all") == 0
    background = cv2.imread(str(tmp_path / "session_s" / "preprocessing" / "background.png"), cv2.IMREAD_GRAYSCALE)
    assert background.shape == (180, 240) and np.median(background) > 180
    assert np.nanmax(_nearest_distance(truth, _trajectories(tmp_path))) < 1.5


def test_background_png_from_idtrackerai_background_is_reused(tmp_path, dots_video):
    from idtracker.entrypoints.background_cli import main as background_main

    render_dots(dots_video)
    png = tmp_path / "bkg.png"
    assert background_main([str(dots_video), "--stat", "max", "-o", str(png)]) == 0
    assert _track(tmp_path, dots_video, "--use_bkg", "true", "--intensity_ths", "50", "255",
                  "--background_subtraction_stat", str(png)) == 0
    assert np.isfinite(_trajectories(tmp_path)[:, :, 0]).all()


def test_check_segmentation_aborts_naming_the_frames(tmp_path, capsys):
    video = tmp_path / "specks.avi"
    render_dots(video, extra_blob_frames=(7, 33))
    assert _track(tmp_path, video, "--check_segmentation", "true") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "check_segmentation" in err[0] and "7, 33" in err[0]
    assert (tmp_path / "session_s" / "inconsistent_frames.csv").read_text().split() == ["7", "33"]


def test_two_workers_find_the_same_blobs_as_one(tmp_path, dots_video):
    render_dots(dots_video)
    assert _track(tmp_path, dots_video, "--number_of_parallel_workers", "1", "--frames_per_episode", "15",
                  "--data_policy", "all") == 0
    one = np.load(tmp_path / "session_s" / "preprocessing" / "blobs.npz")["centroid"]
    assert _track(tmp_path, dots_video, "--number_of_parallel_workers", "2", "--frames_per_episode", "15",
                  "--data_policy", "all") == 0
    two = np.load(tmp_path / "session_s" / "preprocessing" / "blobs.npz")["centroid"]
    np.testing.assert_array_equal(one, two)


def test_bounding_box_images_in_ram_write_no_crop_files(tmp_path, dots_video):
    render_dots(dots_video)
    assert _track(tmp_path, dots_video, "--bounding_box_images_in_ram", "true", "--data_policy", "all") == 0
    assert not (tmp_path / "session_s" / "bounding_box_images").exists()
    assert _track(tmp_path, dots_video, "--data_policy", "all") == 0
    assert len(list((tmp_path / "session_s" / "bounding_box_images").glob("bbox_images_*.h5"))) >= 1


def test_missing_video_is_one_line_error(tmp_path, capsys):
    assert _track(tmp_path, tmp_path / "nope.avi") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "video_paths" in err[0] and "nope.avi" in err[0]


def test_unreadable_video_is_one_line_error(tmp_path, capsys):
    bad = tmp_path / "bad.avi"
    bad.write_bytes(b"not a video at all")
    assert _track(tmp_path, bad) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot read video" in err[0]


def test_identities_required_without_number_of_animals(tmp_path, dots_video, capsys):
    render_dots(dots_video)
    assert main(["--video_paths", str(dots_video), "--intensity_ths", "0", "100", "--area_ths", "50", "inf",
                 "--output_dir", str(tmp_path), "--track"]) == 2
    assert "number_of_animals" in capsys.readouterr().err


@needs_shared
@pytest.mark.slow
def test_test_a_without_identities_matches_idtrackerai_positions(tmp_path):
    """Issue 2: on frames with 8 separate blobs, >= 99% of reference positions within 1 px of ours."""
    assert main(["--load", str(SHARED / "data" / "test_A.toml"), "--track", "--track_wo_identities", "true",
                 "--output_dir", str(tmp_path)]) == 0
    folder = tmp_path / "session_test_A"
    data = np.load(folder / "trajectories" / "trajectories.npy", allow_pickle=True).item()
    reference = np.load(SHARED / "data" / "reference" / "test_A" / "trajectories.npy", allow_pickle=True).item()
    assert list(data) == list(reference)
    for key in ("trajectories", "id_probabilities"):
        assert data[key].dtype == reference[key].dtype and data[key].shape == reference[key].shape
    assert isinstance(data["frames_per_second"], float) and isinstance(data["body_length"], float)
    blobs = np.load(folder / "preprocessing" / "blobs.npz")
    counts = np.bincount(blobs["frame"], minlength=501)
    crossings = np.bincount(blobs["frame"][~blobs["is_individual"]], minlength=501)
    clean = (counts == 8) & (crossings == 0)
    ref = reference["trajectories"][clean]
    d = _nearest_distance(ref, data["trajectories"][clean])
    assert (d[np.isfinite(ref[..., 0])] <= 1.0).mean() >= 0.99


def _score_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("score", SHARED / "tools" / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_shared
@pytest.mark.slow
def test_test_a_identities_agree_with_idtrackerai(tmp_path):
    """Issues 4 and 5: >= 99.5 % agreement with idtracker.ai's identities, at least its coverage."""
    assert main(["--load", str(SHARED / "data" / "test_A.toml"), "--track", "--output_dir", str(tmp_path),
                 "--data_policy", "all"]) == 0
    score = _score_module()
    reference, touching, body_length = score.load_ref(SHARED / "data" / "reference" / "test_A")
    ours, _ = score.load_traj(tmp_path / "session_test_A")
    result = score.score(reference, touching, body_length, ours)
    assert result["acc_individual"] >= 0.995 and result["acc_all"] >= 0.995
    assert np.isfinite(ours[..., 0]).sum() >= np.isfinite(reference[..., 0]).sum()
    assert (tmp_path / "session_test_A" / "accumulation" / "model_params.json").exists()
    assert len(list((tmp_path / "session_test_A" / "identification_images").glob("id_images_*.h5"))) == 2


def _log_events(path: Path) -> list[str]:
    return [json.loads(line)["event"] for line in path.read_text().splitlines()]


def test_the_log_holds_this_run_and_goes_into_the_session_folder_on_success_and_on_failure(tmp_path, dots_video):
    render_dots(dots_video)
    assert _track(tmp_path, dots_video, "--name", "first") == 0
    assert _track(tmp_path, dots_video, "--name", "second") == 0
    log, previous = tmp_path / "idtrackerai.log", tmp_path / "idtrackerai.log.1"
    assert _log_events(log).count("session_started") == 1 and '"second"' in log.read_text()
    assert '"first"' in previous.read_text() and '"second"' not in previous.read_text()
    assert (tmp_path / "session_second" / "idtrackerai.log").read_text() == log.read_text()
    # No blob anywhere: the session starts, then fails with a user error; its log is kept with it.
    assert _track(tmp_path, dots_video, "--name", "third", "--intensity_ths", "0", "1") == 2
    assert _log_events(tmp_path / "session_third" / "idtrackerai.log")[-1] == "session_failed"


def test_a_settings_mistake_is_the_runs_log(tmp_path, capsys):
    assert main(["--number_of_animals", "-3", "--track"]) == 2
    assert "number_of_animals" in capsys.readouterr().err
    [line] = (tmp_path / "idtrackerai.log").read_text().splitlines()
    assert json.loads(line)["event"] == "session_failed" and "number_of_animals" in line


def test_bad_values_found_against_the_video_or_the_disk_are_one_line_errors(tmp_path, dots_video, capsys):
    render_dots(dots_video)
    cases = [
        (["--tracking_intervals", "[0, 99999]"], "tracking_intervals: [0, 99999] ends after the last frame"),
        (["--knowledge_transfer_folder", str(tmp_path / "nowhere")], "knowledge_transfer_folder:"),
        (["--output_dir", "/proc/idtracker_cannot_be_here"], "output_dir: cannot create the session folder"),
    ]
    for extra, expected in cases:
        args = ["--video_paths", str(dots_video), "--track_wo_identities", "true", "--name", "s", *BASE, *extra]
        if "--output_dir" not in extra:
            args += ["--output_dir", str(tmp_path)]
        assert main(args) == 2, extra
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and expected in err[0], err


def test_a_transfer_folder_without_a_model_warns_and_tracks_without_transfer(tmp_path, dots_video):
    render_dots(dots_video)
    (tmp_path / "old_session").mkdir()
    assert _track(tmp_path, dots_video, "--knowledge_transfer_folder", str(tmp_path / "old_session")) == 0
    log = (tmp_path / "idtrackerai.log").read_text()
    assert "holds no identification model" in log and "tracking without knowledge transfer" in log


def test_a_truncated_video_is_an_error_naming_the_first_frame_that_cannot_be_decoded(tmp_path, capsys):
    video = tmp_path / "copy.avi"
    render_dots(video, frames=60)
    payload = video.read_bytes()
    video.write_bytes(payload[:len(payload) * 6 // 10])  # a copy interrupted at 60 %
    assert _track(tmp_path, video) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot be decoded" in err[0] and "tracking_intervals" in err[0], err
    assert not (tmp_path / "session_s" / "trajectories").exists()


def test_session_json_is_written_at_the_start_and_kept_when_a_stage_fails(tmp_path, dots_video):
    render_dots(dots_video)
    assert _track(tmp_path, dots_video, "--intensity_ths", "0", "1") == 2  # no blobs: fails after detection starts
    info = json.loads((tmp_path / "session_s" / "session.json").read_text())
    assert info["number_of_frames"] == 60 and info["identities_labels"] == ["1", "2", "3"]
    assert _track(tmp_path, dots_video) == 0
    info = json.loads((tmp_path / "session_s" / "session.json").read_text())
    for key in ("number_of_error_frames", "first_frame_first_global_fragment", "fragment_connectivity",
                "identities_labels", "identities_groups", "identity_transfer_succeeded", "estimated_accuracy"):
        assert key in info, key
    assert info["number_of_error_frames"] == 0 and "Tracking session" in info["timers"]


def test_idtrackerai_background_takes_idtrackerai_options(tmp_path, dots_video, capsys):
    """--n_frames, --output_path (suffix forced to .png) and --tracking_intervals, as idtracker.ai."""
    from idtracker.entrypoints.background_cli import main as background_main

    render_dots(dots_video)
    assert background_main([str(dots_video), "--n_frames", "5", "--output_path", str(tmp_path / "bkg.jpg"),
                            "--tracking_intervals", "[0,20]", "[40,60]"]) == 0
    assert "median of 5 frames" in capsys.readouterr().out
    assert (tmp_path / "bkg.png").exists() and not (tmp_path / "bkg.jpg").exists()
    assert background_main([str(dots_video), "--tracking_intervals", "[0,999]", "-o", str(tmp_path / "b")]) == 2
    assert "tracking_intervals: [0, 999] ends after the last frame" in capsys.readouterr().err
    assert background_main([str(dots_video), "--n_frames", "0"]) == 2
    assert "n_frames" in capsys.readouterr().err
