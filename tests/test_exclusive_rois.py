"""Exclusive ROIs: two tanks in one video are two closed groups of identities."""

from __future__ import annotations

import json

import attrs
import numpy as np
import pytest

from idtracker.adapters.storage.ground_truth_file import read_ground_truth
from idtracker.adapters.storage.trajectory_files import read_trajectories
from idtracker.adapters.video.renderer import RenderSettings
from idtracker.adapters.video.two_tanks import render_two_tanks
from idtracker.domain.blobs import BlobTable
from idtracker.domain.exclusive_regions import (
    animals_per_region,
    blob_regions,
    links_of,
    links_within_regions,
    take_blobs,
)
from idtracker.domain.scoring import identity_accuracy
from idtracker.entrypoints.cli import main

from synthetic_videos import render_dots


def _blobs(centroids: list[tuple[float, float]], frames: list[int]) -> BlobTable:
    n = len(centroids)
    contours = np.array([[int(x), int(y)] for x, y in centroids], np.int32)
    return BlobTable(np.array(frames), np.array(centroids, float), np.ones(n), np.zeros((n, 4), np.int32), contours,
                     np.arange(n + 1, dtype=np.int64))


def test_each_blob_gets_the_region_under_it_and_links_across_regions_are_cut():
    labels = np.zeros((10, 20), np.int32)
    labels[:, :8], labels[:, 12:] = 1, 2
    blobs = _blobs([(2, 5), (15, 5), (10, 5), (3, 5)], [0, 0, 0, 1])
    region = blob_regions(labels, blobs)
    assert region.tolist() == [0, 1, -1, 0]
    links = np.array([[0, 3], [1, 3]])
    assert links_within_regions(links, region).tolist() == [[0, 3]]


def test_the_split_of_animals_is_the_one_seen_most_with_all_apart():
    frame = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    region = np.array([0, 0, 1, 0, 0, 1, 0, 1])
    individual = np.array([True] * 6 + [False, True])
    assert animals_per_region(frame, region, individual, 2, 3, 3).tolist() == [2, 1]
    assert animals_per_region(frame, region, individual, 2, 4, 3) is None


def test_a_region_is_a_table_of_its_own_with_its_links_renumbered():
    blobs = _blobs([(1, 1), (2, 2), (3, 3)], [0, 0, 1])
    sub = take_blobs(blobs, np.array([1, 2]))
    assert sub.centroid.tolist() == [[2, 2], [3, 3]] and sub.contour(1).tolist() == [[3, 3]]
    assert links_of(np.array([[0, 2], [1, 2]]), np.array([1, 2]), 3).tolist() == [[0, 1]]


def test_exclusive_rois_without_two_regions_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    video = tmp_path / "dots.avi"
    render_dots(video)
    code = main(["--video_paths", str(video), "--intensity_ths", "0", "100", "--area_ths", "50", "inf",
                 "--number_of_animals", "3", "--output_dir", str(tmp_path), "--exclusive_rois", "true",
                 "--roi_list", "+ Polygon [[0, 0], [239, 0], [239, 179], [0, 179]]", "--track"])
    assert code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "exclusive_rois" in line and "at least two" in line


@pytest.mark.slow
def test_two_tanks_never_share_an_identity(tmp_path, monkeypatch):
    """Issue 13: two tanks side by side, exclusive ROIs: identities grouped per tank, none in both, >= 99 %."""
    monkeypatch.chdir(tmp_path)
    tank = RenderSettings(animals=3, frames=300, width=400, height=400, body_length=30.0, distinctness=0.6)
    rendered = render_two_tanks(tank, attrs.evolve(tank, seed=100), tmp_path / "video")
    assert main(["--load", str(rendered.settings_path), "--output_dir", str(tmp_path), "--track"]) == 0
    session = tmp_path / "session_two_tanks"
    data = read_trajectories(session)
    assert data["identities_groups"] == {"Region_0": [1, 2, 3], "Region_1": [4, 5, 6]}
    assert json.loads((session / "session.json").read_text())["identities_groups"] == data["identities_groups"]
    x = data["trajectories"][..., 0]
    in_left, in_right = (x < 400).any(0), (x > 416).any(0)
    assert not (in_left & in_right).any()
    truth = read_ground_truth(tmp_path / "video")
    assert identity_accuracy(truth.positions, truth.touching, truth.body_length, data["trajectories"]).acc_individual >= 0.99
