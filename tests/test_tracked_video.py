"""idtrackerai_video --run: a real session drawn into real video files, one frame per tracked frame."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from idtracker.domain.identity_colors import grid_shape, identity_colours
from idtracker.entrypoints.cli import main as track_main
from idtracker.entrypoints.video_cli import main

from synthetic_videos import render_dots


def _frames(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            return frames
        frames.append(frame)


@pytest.fixture
def session(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    video = tmp_path / "dots.avi"
    render_dots(video, frames=60)
    assert track_main(["--video_paths", str(video), "--intensity_ths", "0", "100", "--area_ths", "50", "inf",
                       "--number_of_animals", "3", "--track_wo_identities", "true", "--output_dir", str(tmp_path),
                       "--name", "s", "--track"]) == 0
    return tmp_path / "session_s"


def test_the_general_video_has_every_tracked_frame_with_each_identity_in_its_colour(session):
    assert main([str(session), "--run"]) == 0
    frames = _frames(session / "dots_tracked.avi")
    assert len(frames) == 60 and frames[0].shape == (180, 240, 3)
    colours = identity_colours(3).astype(int)
    last = frames[-1].astype(int)
    for colour in colours:  # each identity's dot is drawn in its own hue somewhere in the frame
        assert (np.abs(last - colour).sum(2) < 90).sum() > 20


def test_individual_videos_follow_each_animal_and_tile_them_in_a_grid(session):
    assert main([str(session), "--run", "--individual", "--size", "40", "--s", "10", "--e", "30"]) == 0
    folder = session / "individual_videos"
    for k in (1, 2, 3):
        tiles = _frames(folder / f"individual_{k}.avi")
        assert len(tiles) == 20 and tiles[0].shape == (40, 40, 3)
        assert tiles[0][15:25, 15:25].mean() < 120  # the dark animal sits in the middle of its tile
    rows, cols = grid_shape(3)
    assert _frames(folder / "general.avi")[0].shape == (rows * (40 + 40), cols * (40 + 20), 3)


@pytest.mark.parametrize("args, expected", [
    (["--run", "--s", "70"], "--s/--e"),
    (["--run", "--e", "999"], "--s/--e"),
    (["--run", "--t", "nowhere.npy"], "nowhere.npy"),
])
def test_bad_requests_are_one_line_errors(session, capsys, args, expected):
    assert main([str(session), *args]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert expected in line


def test_colours_are_distinct_hues_and_the_grid_is_near_square():
    colours = identity_colours(6)
    assert len({tuple(c) for c in colours.tolist()}) == 6 and colours.max() == 255
    assert grid_shape(10) == (3, 4) and grid_shape(1) == (1, 1)


@pytest.mark.gui
def test_the_dialog_makes_the_same_video_with_a_progress_bar(session, qtbot):
    pytest.importorskip("pyqtgraph")
    from idtracker.entrypoints.video_app import VideoDialog

    dialog = VideoDialog(session)
    qtbot.addWidget(dialog)
    dialog.trail.setValue(5)
    dialog.run()
    qtbot.waitUntil(lambda: bool(dialog.written), timeout=20000)
    assert len(_frames(session / "dots_tracked.avi")) == 60
    assert dialog.progress.value() == dialog.progress.maximum() == 60
