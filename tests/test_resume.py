"""Crash-safe sessions: stage checkpoints read back exactly, a killed session resumes to the same
trajectories, a finished one is done, a changed parameter reruns from the stage it affects."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import attrs
import numpy as np
import pytest

from idtracker.adapters.storage.session_folder import SessionFolder
from idtracker.adapters.storage.trajectory_files import read_trajectories
from idtracker.adapters.video.renderer import RenderSettings, render_video
from idtracker.application.checkpoints import (
    Checkpoints,
    crossing_arrays,
    crossing_from_arrays,
    episode_arrays,
    episode_from_arrays,
    identity_arrays,
    identity_from_arrays,
)
from idtracker.application.crossing_detection import CrossingResult
from idtracker.application.identification_stage import IdentityResult
from idtracker.application.knowledge_transfer import TransferOutcome
from idtracker.application.segmentation import BorderFrame, EpisodeBlobs
from idtracker.adapters.events.memory_sink import InMemoryEventSink
from idtracker.domain.area_model import AreaModel
from idtracker.domain.blobs import BlobTable
from idtracker.domain.crossing_labels import CrossingLabels
from idtracker.domain.episodes import Episode
from idtracker.entrypoints.cli import main

BIN = Path(sys.executable).parent


def _episode(bbox_images) -> EpisodeBlobs:
    blobs = BlobTable(np.array([10, 10, 11]), np.random.default_rng(0).random((3, 2)) * 100, np.array([50.0, 61, 55]),
                      np.array([[1, 2, 3, 2], [5, 5, 2, 3], [1, 2, 3, 2]], np.int32),
                      np.arange(12, dtype=np.int32).reshape(6, 2), np.array([0, 2, 4, 6]))
    head = BorderFrame(10, blobs.bbox[:2], [np.ones((2, 3), bool), np.eye(3, 2, dtype=bool)])
    tail = BorderFrame(11, blobs.bbox[2:], [np.zeros((2, 3), bool)])
    return EpisodeBlobs(Episode(4, 10, 12, 1, 3), blobs, np.array([[0, 2]]), head, tail, bbox_images, (11,))


def _assert_same_episode(a: EpisodeBlobs, b: EpisodeBlobs) -> None:
    assert a.episode == b.episode and a.unreadable_frames == b.unreadable_frames
    for name in ("frame", "centroid", "area", "bbox", "contour_points", "contour_offsets"):
        assert np.array_equal(getattr(a.blobs, name), getattr(b.blobs, name))
        assert getattr(a.blobs, name).dtype == getattr(b.blobs, name).dtype
    assert np.array_equal(a.links, b.links)
    for x, y in ((a.head, b.head), (a.tail, b.tail)):
        assert x.frame == y.frame and np.array_equal(x.boxes, y.boxes)
        assert all(np.array_equal(m, n) for m, n in zip(x.masks, y.masks, strict=True))


def test_an_episode_reads_back_exactly_with_its_crops_in_ram_or_on_disk(tmp_path):
    store, events = SessionFolder(tmp_path / "session_x"), InMemoryEventSink()
    checkpoints = Checkpoints(store, events)
    in_ram = _episode((np.arange(20, dtype=np.uint8), np.array([0, 6, 12, 20])))
    checkpoints.save("episode_4", {"v": 1}, episode_arrays(in_ram))
    back = episode_from_arrays(checkpoints.load("episode_4", "Animal detection", {"v": 1}), needs_crops=True)
    _assert_same_episode(in_ram, back)
    assert all(np.array_equal(x, y) for x, y in zip(in_ram.bbox_images, back.bbox_images))
    on_disk = _episode(tmp_path / "bbox_images_4.h5")
    arrays = episode_arrays(on_disk)
    # Its crops file gone: usable for the blobs, not where a later stage needs the crops.
    assert episode_from_arrays(arrays, needs_crops=True) is None
    _assert_same_episode(on_disk, episode_from_arrays(arrays, needs_crops=False))


def test_a_checkpoint_of_other_parameters_is_not_used_and_the_event_names_them(tmp_path):
    events = InMemoryEventSink()
    checkpoints = Checkpoints(SessionFolder(tmp_path / "session_x"), events)
    stamp = {"version": "1", "videos": [["a.avi", 10, 1]], "parameters": {"area_ths": [10, 100], "number_of_animals": 8}}
    checkpoints.save("crossings", stamp, {"x": np.arange(3)})
    other = {**stamp, "parameters": {"area_ths": [20, 100], "number_of_animals": 8}}
    assert checkpoints.load("crossings", "Crossing detection", other) is None
    [event] = events.events
    assert event.stage == "Crossing detection" and event.changed == ("area_ths",)
    assert np.array_equal(checkpoints.load("crossings", "Crossing detection", stamp)["x"], np.arange(3))


def test_a_checkpoint_from_before_a_parameter_existed_counts_as_made_at_its_default(tmp_path):
    """Sessions tracked before ``random_seed`` existed ran with 0: they resume at 0, not at 1."""
    events = InMemoryEventSink()
    checkpoints = Checkpoints(SessionFolder(tmp_path / "session_x"), events)
    older = {"version": "1", "videos": [["a.avi", 10, 1]], "parameters": {"number_of_animals": 8}}
    checkpoints.save("crossings", older, {"x": np.arange(3)})
    now = {**older, "parameters": {"number_of_animals": 8, "random_seed": 0}}
    assert np.array_equal(checkpoints.load("crossings", "Crossing detection", now)["x"], np.arange(3))
    other_seed = {**older, "parameters": {"number_of_animals": 8, "random_seed": 1}}
    assert checkpoints.load("crossings", "Crossing detection", other_seed) is None
    [event] = events.events
    assert event.changed == ("random_seed",)
    assert checkpoints.load("crossings", "Crossing detection", older) is not None  # a stage it does not reach


def test_crossing_and_identity_results_read_back_exactly():
    crossings = CrossingResult(np.array([True, False, True]), AreaModel(52.5, 3.25), 31.0,
                               CrossingLabels(np.array([True, False, False]), np.array([False, True, False])), "cnn")
    back = crossing_from_arrays(crossing_arrays(crossings))
    assert np.array_equal(back.individual, crossings.individual) and back.area_model == crossings.area_model
    assert back.body_length == 31.0 and back.method == "cnn"
    assert np.array_equal(back.labels.sure_crossing, crossings.labels.sure_crossing)
    ids = IdentityResult(np.array([1, 2, 0]), np.array([0.9, 0.8, np.nan]), 2, 0.97, 36, 1.0, 0.99, "accumulation",
                         7.5, None, 0.8, TransferOutcome(True, 0.9, (2, 1)))
    back_ids, groups = identity_from_arrays(identity_arrays(ids, {"Region_0": [1], "Region_1": [2]}))
    assert groups == {"Region_0": [1], "Region_1": [2]}
    assert np.array_equal(back_ids.identities, ids.identities)
    assert np.array_equal(back_ids.probabilities, ids.probabilities, equal_nan=True)
    assert attrs_equal(back_ids, ids)


def attrs_equal(a: IdentityResult, b: IdentityResult) -> bool:
    """Every field but the arrays (compared on their own) equal."""
    return all(getattr(a, f.name) == getattr(b, f.name) for f in attrs.fields(IdentityResult)
               if f.name not in ("identities", "probabilities"))


@pytest.fixture(scope="module")
def four_fish(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("resume")
    return render_video(RenderSettings(animals=4, frames=400, width=300, height=300, body_length=30.0, seed=1,
                                       distinctness=0.8, name="four"), folder / "video").video_path


def _command(video: Path, out: Path, name: str, *extra: str) -> list[str]:
    return ["--load", str(video.with_suffix(".toml")), "--output_dir", str(out), "--name", name,
            "--frames_per_episode", "100", "--track", *extra]


def _events(log: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if f'"event": "{name}"' in line]


def _same(a: dict, b: dict) -> bool:
    return (np.array_equal(a["trajectories"], b["trajectories"], equal_nan=True)
            and np.array_equal(a["id_probabilities"], b["id_probabilities"], equal_nan=True))


@pytest.mark.slow
def test_a_session_killed_during_identification_resumes_to_the_same_trajectories(four_fish, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(_command(four_fish, tmp_path, "reference")) == 0
    reference = read_trajectories(tmp_path / "session_reference")

    argv = [str(BIN / "idtrackerai"), *_command(four_fish, tmp_path, "killed")]
    process = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    crossings = tmp_path / "session_killed" / "checkpoints" / "crossings.npz"
    deadline = time.monotonic() + 300
    while not crossings.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the whole group, workers included, as a power cut would
    process.wait()
    assert crossings.exists() and not (tmp_path / "session_killed" / "checkpoints" / "identification.npz").exists()

    assert main(_command(four_fish, tmp_path, "killed")) == 0
    log = tmp_path / "idtrackerai.log"
    resumed = {e["stage"]: e["detail"] for e in _events(log, "checkpoint_resumed")}
    assert resumed["Animal detection"] == "4 of 4 episodes" and "Crossing detection" in resumed
    assert "Tracking" not in resumed
    assert _same(read_trajectories(tmp_path / "session_killed"), reference)

    # Run again: done, nothing tracked.
    assert main(_command(four_fish, tmp_path, "killed")) == 0
    assert _events(log, "session_already_done") and not _events(log, "session_started")

    # An output parameter changed: every stage read back, the new format written, the same trajectories.
    assert main(_command(four_fish, tmp_path, "killed", "--trajectories_formats", "npy", "csv_tidy")) == 0
    assert {e["stage"] for e in _events(log, "checkpoint_resumed")} == {"Animal detection", "Crossing detection",
                                                                       "Tracking"}
    assert (tmp_path / "session_killed" / "trajectories" / "trajectories_tidy.csv").exists()
    assert _same(read_trajectories(tmp_path / "session_killed"), reference)

    # An identification parameter changed: that stage runs again, and the event says why.
    assert main(_command(four_fish, tmp_path, "killed", "--disable_contrastive", "true")) == 0
    [outdated] = _events(log, "checkpoint_outdated")
    assert outdated["stage"] == "Tracking" and outdated["changed"] == ["disable_contrastive"]
    assert "Tracking" not in {e["stage"] for e in _events(log, "checkpoint_resumed")}

    # --overwrite: from the start.
    assert main(_command(four_fish, tmp_path, "killed", "--overwrite")) == 0
    assert not _events(log, "checkpoint_resumed") and _events(log, "session_finished")
    assert _same(read_trajectories(tmp_path / "session_killed"), reference)


def test_an_automatic_name_resumes_its_own_folder_and_keeps_another_finished_one(dots_video, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = ["--video_paths", str(dots_video), "--intensity_ths", "0", "100", "--area_ths", "50", "inf",
            "--number_of_animals", "3", "--track_wo_identities", "true", "--output_dir", str(tmp_path), "--track"]
    assert main(argv) == 0
    [folder] = tmp_path.glob("session_*")
    assert main(argv) == 0  # the same command: done, in the same folder
    assert sorted(tmp_path.glob("session_*")) == [folder]
    assert _events(tmp_path / "idtrackerai.log", "session_already_done")
    assert main([*argv, "--area_ths", "60", "inf"]) == 0  # other parameters: a new folder, the first kept
    assert len(list(tmp_path.glob("session_*"))) == 2
