"""The segmentation app, as a real Qt window driven by pytest-qt (offscreen), on videos the tests render."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pyqtgraph")
pytest.importorskip("superqt")
from qtpy import QtCore  # noqa: E402

from idtracker.entrypoints import cli  # noqa: E402
from idtracker.entrypoints.segmentation_app import SegmentationWindow  # noqa: E402

from synthetic_videos import render_dots  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def video(tmp_path: Path) -> Path:
    path = tmp_path / "dots.avi"
    render_dots(path, frames=40, animals=3)
    return path


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, video) -> SegmentationWindow:
    monkeypatch.chdir(tmp_path)
    params = {"video_paths": [str(video)], "intensity_ths": [0, 100], "area_ths": [50, float("inf")],
              "number_of_animals": 3}
    w = SegmentationWindow(params)
    qtbot.addWidget(w)
    w.show()
    return w


def test_the_frame_is_segmented_live_and_the_plot_counts_its_blobs(window):
    assert window.plot.title.startswith("3 blobs detected")
    overlay = window.player.overlay.image
    assert overlay.shape[:2] == (180, 240) and (overlay[..., 3] > 0).sum() > 3 * 100


def test_moving_the_threshold_slider_redraws_the_blobs(window):
    window.panel.intensity.setValue((0, 10))
    assert window.plot.title == "No blobs detected" and (window.player.overlay.image[..., 3] > 0).sum() == 0
    window.panel.intensity.setValue((0, 100))
    assert window.plot.title.startswith("3 blobs")


def test_more_blobs_than_animals_warns_in_the_plot(window):
    window.panel.animals.setValue(2)
    assert window.plot.title.startswith("More blobs than animals!")
    window.panel.animals.setValue(0)
    assert window.plot.title.startswith("Unknown number of animals!")


def test_keys_step_through_the_video_and_space_plays(window, qtbot):
    qtbot.keyClick(window, QtCore.Qt.Key.Key_D)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Right)
    assert window.player.frame == 2
    qtbot.keyClick(window, QtCore.Qt.Key.Key_A)
    assert window.player.frame == 1
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.player.frame > 3, timeout=3000)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Space)
    assert not window.player.play_button.isChecked()


def _click_polygon(window, points, button=1):
    window.panel.roi_add.setChecked(True)
    for x, y in points:
        window._roi_click(x, y, button)
    window.panel.roi_add.setChecked(False)


def test_a_polygon_drawn_with_clicks_becomes_a_roi_and_masks_the_outside(window):
    _click_polygon(window, [(0, 0), (80, 0), (80, 179), (0, 179)])
    [roi] = window.panel.rois()
    assert roi.startswith("+ Polygon [[0.0, 0.0], [80.0, 0.0]")
    assert window.plot.title.startswith("1 blob detected")  # only the left animal is inside
    assert window.player.overlay.image[90, 200, 0] == 255  # outside the ROI painted red


def test_a_right_click_removes_the_nearest_vertex(window):
    window.panel.roi_add.setChecked(True)
    for x, y in [(0, 0), (120, 0), (60, 60), (120, 179), (0, 179)]:
        window._roi_click(x, y, 1)
    window._roi_click(62, 58, 2)
    window.panel.roi_add.setChecked(False)
    assert "[60.0, 60.0]" not in window.panel.rois()[0]


def test_an_ellipse_from_five_clicks_and_two_regions_offer_exclusive_rois(window):
    window.panel.roi_kind.setCurrentText("+ Ellipse")
    centre, a, b = np.array([60.0, 90.0]), 50.0, 40.0
    angles = np.linspace(0, 2 * np.pi, 6)[:-1]
    _click_polygon(window, [tuple(centre + [a * np.cos(t), b * np.sin(t)]) for t in angles])
    assert window.panel.rois()[0].startswith("+ Ellipse {'center': [60, 90], 'axes': [")
    assert not window.panel.exclusive.isVisible()
    window.panel.roi_kind.setCurrentText("+ Polygon")
    _click_polygon(window, [(150, 10), (230, 10), (230, 170), (150, 170)])
    assert window.panel.exclusive.isVisible()
    window.panel.exclusive.setChecked(True)
    assert window.panel.params()["exclusive_rois"] is True


def test_saved_parameters_load_back_to_the_same_settings(window, tmp_path):
    window.panel.interval_box.setChecked(True)
    window.panel.interval.setValue((5, 30))
    _click_polygon(window, [(0, 0), (239, 0), (239, 179), (0, 179)])
    window.panel.name.setText("my session")
    window.panel.without_identities.setChecked(True)
    saved = window.save(tmp_path / "params.toml")
    loaded, track, _ = cli.build_settings(["--load", str(saved), "--track"])
    assert track and loaded.session_name == "my session" and loaded.tracking_intervals == [(5, 30)]
    assert loaded.roi_list == window.panel.rois() and loaded.track_wo_identities
    assert loaded.area_ths == (50.0, float("inf")) and loaded.intensity_ths == (0.0, 100.0)
    assert [str(p) for p in loaded.video_paths] == window.panel.params()["video_paths"]


def test_track_refuses_unknown_animals_and_hands_checked_settings_on(window):
    window.panel.animals.setValue(0)
    window.track()
    assert window.settings is None and "number_of_animals" in window.status.currentMessage()
    window.panel.animals.setValue(3)
    window.track()
    assert window.settings is not None and window.settings.number_of_animals == 3 and not window.isVisible()


def test_background_subtraction_is_computed_off_the_gui_thread_and_segments(window, qtbot):
    window.panel.background_box.setChecked(True)
    qtbot.waitUntil(lambda: window.background is not None, timeout=10000)
    assert window.panel.intensity_label.text() == "Background difference threshold"
    window.panel.intensity.setValue((40, 255))
    assert window.plot.title.startswith("3 blobs")


def test_opening_a_settings_file_sets_every_widget(qtbot, tmp_path, video, monkeypatch):
    monkeypatch.chdir(tmp_path)
    toml = tmp_path / "a.toml"
    toml.write_text(f"video_paths = ['{video}']\nintensity_ths = [0, 90]\narea_ths = [60, 5000]\n"
                    "number_of_animals = 3\ncheck_segmentation = true\n")
    w = SegmentationWindow()
    qtbot.addWidget(w)
    w.open_paths([toml])
    params = w.panel.params()
    assert params["intensity_ths"] == [0.0, 90.0] and params["area_ths"] == [60.0, 5000.0]
    assert params["check_segmentation"] and w.panel.area_upper.isChecked() and w.video is not None


def test_without_a_display_plain_idtrackerai_says_to_use_track(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cli.sys, "platform", "linux")
    assert cli.main(["--number_of_animals", "3"]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "no display" in line and "--track" in line


def test_several_tracking_intervals_are_typed_clamped_and_saved(window):
    window.panel.interval_box.setChecked(True)
    window.panel.intervals_multiple.setChecked(True)
    window.panel.intervals_text.setText("[0,10], [30, 20], [35,99], [5,5]")
    assert window.panel.params()["tracking_intervals"] == [[0, 10], [20, 30], [35, 40]]


def test_the_background_can_be_viewed_in_the_player(window, qtbot):
    window.panel.background_box.setChecked(True)
    qtbot.waitUntil(lambda: window.background is not None, timeout=10000)
    window.panel.background_view.setChecked(True)
    assert np.array_equal(window.player.image.image, window.background)
    window.panel.background_view.setChecked(False)
    assert np.array_equal(window.player.image.image, window.player.current)


def test_a_roi_drawn_in_the_app_tracks_the_same_from_its_saved_toml(window, tmp_path):
    """Issue 14: the app's own run and `idtrackerai --load saved.toml --track` give the same trajectories."""
    from idtracker.adapters.storage.trajectory_files import read_trajectories
    from idtracker.entrypoints.app import track

    _click_polygon(window, [(0, 0), (160, 0), (160, 179), (0, 179)])
    window.panel.without_identities.setChecked(True)
    window.panel.name.setText("app")
    saved = window.save(tmp_path / "app.toml")
    assert "roi_list" in saved.read_text() and "160.0" in saved.read_text()
    window.track()
    assert track(window.settings, console=False) == 0
    assert cli.main(["--load", str(saved), "--track", "--name", "toml"]) == 0
    ours = read_trajectories(tmp_path / "session_app")["trajectories"]
    theirs = read_trajectories(tmp_path / "session_toml")["trajectories"]
    assert ours.shape == (40, 2, 2) and np.array_equal(ours, theirs, equal_nan=True)


def test_the_background_computation_shows_progress_and_can_be_cancelled(window, qtbot):
    window.panel.background_box.setChecked(True)
    window.cancel_background()
    qtbot.waitUntil(lambda: not window.panel.background_box.isChecked(), timeout=10000)
    assert window.background is None and "cancelled" in window.status.currentMessage()
    window.panel.background_box.setChecked(True)
    qtbot.waitUntil(lambda: window.background is not None, timeout=10000)
    assert not window.background_bar.isVisible()


def test_closing_the_window_mid_background_cancels_it_and_leaves_no_thread_running(window, qtbot):
    """A QThread destroyed while it runs aborts the process: closing must wind every worker thread down first."""
    window.panel.background_box.setChecked(True)
    [thread] = window.findChildren(QtCore.QThread)
    assert thread.isRunning()
    window.close()
    assert thread.isFinished() and window.background is None


def test_a_window_closed_just_after_its_background_arrived_leaves_no_thread_running(window, qtbot):
    window.panel.background_box.setChecked(True)
    qtbot.waitUntil(lambda: window.background is not None, timeout=10000)
    window.close()
    assert all(thread.isFinished() for thread in window.findChildren(QtCore.QThread))
