"""The validator as a real Qt window (offscreen) on a real tracked session."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pyqtgraph")

from idtracker.adapters.storage.trajectory_files import read_trajectories  # noqa: E402
from idtracker.domain.validation import DUPLICATED, MISS_ID, NO_ID  # noqa: E402
from idtracker.entrypoints.cli import main as track_main  # noqa: E402
from idtracker.entrypoints.validate_cli import main as validate_main  # noqa: E402
from idtracker.entrypoints.validator_app import ValidatorWindow  # noqa: E402

from synthetic_videos import render_dots  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def session(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    video = tmp_path / "dots.avi"
    render_dots(video, frames=40, animals=3)
    assert track_main(["--video_paths", str(video), "--intensity_ths", "0", "100", "--area_ths", "50", "inf",
                       "--number_of_animals", "3", "--track_wo_identities", "true", "--output_dir", str(tmp_path),
                       "--name", "s", "--trajectories_formats", "npy", "h5", "--track"]) == 0
    return tmp_path / "session_s"


@pytest.fixture
def window(qtbot, session) -> ValidatorWindow:
    w = ValidatorWindow(session)
    qtbot.addWidget(w)
    w.show()
    return w


def _select(window, frame: int, identity: int) -> None:
    window.player.set_frame(frame)
    xy = window.session.trajectories()[frame, identity - 1]
    window._clicked(float(xy[0]), float(xy[1]), 1)


def _errors(window) -> list[tuple]:
    return [window._error_at(r) for r in range(window.errors_table.rowCount())]


def test_the_session_opens_with_contours_labels_and_no_errors(window):
    assert window.session.number_of_identities == 3 and _errors(window) == []
    assert (window.player.overlay.image[..., 3] > 0).sum() > 3 * 100
    assert sum(label.isVisible() for label in window._labels) == 3


def test_changing_an_identity_propagates_through_the_fragment_and_shows_duplicates(window):
    _select(window, 10, 1)
    window.new_identity.setValue(2)
    window.change_identity()
    identity = window.session.state.identity
    assert (identity[window.session.blobs.fragment == window.session.blobs.fragment[window.selected_blob]] == 2).all()
    assert any(kind == DUPLICATED and ident == 2 for kind, ident, _, _ in _errors(window))
    window.undo()
    assert _errors(window) == []


def test_a_removed_centroid_is_a_missing_id_that_interpolation_fills(window):
    truth = window.session.trajectories()[12, 0].copy()
    _select(window, 12, 1)
    window.remove_centroid()
    errors = _errors(window)
    assert (MISS_ID, 1, 12, 1) in errors and (NO_ID, 0, 12, 1) in errors  # the blob is left without identity
    window.errors_table.selectRow(errors.index((MISS_ID, 1, 12, 1)))
    window.interpolate()
    assert [e for e in _errors(window) if e[0] == MISS_ID] == []
    assert np.linalg.norm(window.session.trajectories()[12, 0] - truth) < 1.0


def test_a_swap_from_a_frame_on_exchanges_the_tracks(window):
    before = window.session.trajectories().copy()
    window.player.set_frame(20)
    window.swap_a.setValue(1)
    window.swap_b.setValue(3)
    window.swap()
    after = window.session.trajectories()
    assert np.allclose(after[:20], before[:20], equal_nan=True)
    assert np.allclose(after[20:, 0], before[20:, 2]) and np.allclose(after[20:, 2], before[20:, 0])


def test_clicking_an_error_seeks_to_it(window):
    _select(window, 30, 2)
    window.remove_centroid()
    window.player.set_frame(0)
    window._error_clicked(_errors(window).index((MISS_ID, 2, 30, 1)), 0)
    assert window.player.frame == 29  # the frame before the gap, to see the animal go


def test_save_writes_validated_trajectories_beside_the_originals_and_reopens_the_work(window, session, qtbot):
    window.player.set_frame(5)
    window.swap_a.setValue(1)
    window.swap_b.setValue(2)
    window.swap()
    files = window.save()
    folder = session / "trajectories"
    assert (folder / "trajectories_validated.npy").is_file() and (folder / "trajectories_validated.h5").is_file()
    validated = read_trajectories(folder / "trajectories_validated.npy")["trajectories"]
    original = read_trajectories(folder / "trajectories.npy")["trajectories"]
    assert np.allclose(validated[5:, 0], original[5:, 1]) and np.allclose(validated[:5], original[:5])
    log = json.loads((session / "validation.json").read_text())
    assert log["edits"] == [{"edit": "swap identities", "identities": [1, 2], "frame": 5}]
    assert json.loads((session / "session.json").read_text())["last_validated"] == log["last_validated"]
    again = ValidatorWindow(session)
    qtbot.addWidget(again)
    assert np.allclose(again.session.trajectories(), validated, equal_nan=True) and files


def test_validate_without_a_display_or_a_session_is_one_line(monkeypatch, capsys, tmp_path):
    assert validate_main([str(tmp_path)]) == 2
    assert "not a session folder" in capsys.readouterr().err
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert validate_main([]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "no display" in line


def test_labels_groups_and_length_calibration_are_saved_as_idtracker_ai_keeps_them(window, session):
    window.labels_table.item(0, 1).setText("Nemo")
    assert window.session.labels == ["Nemo", "2", "3"] and window._labels[0].textItem.toPlainText() == "Nemo"
    window.group_name.setText("males")
    window.group_ids.setText("1, 3")
    window.set_group()
    assert window.groups_list.item(0).text() == "males: 1, 3"
    window.real_distance.setValue(2.0)
    window.calibrate.setChecked(True)
    window._clicked(10.0, 10.0, 1)
    window._clicked(110.0, 10.0, 1)
    assert window.session.length_unit == pytest.approx(50.0) and not window.calibrate.isChecked()
    window.save()
    data = read_trajectories(session / "trajectories" / "trajectories_validated.npy")
    assert data["identities_labels"] == ["Nemo", "2", "3"] and data["identities_groups"] == {"males": [1, 3]}
    assert data["length_unit"] == pytest.approx(50.0)
    info = json.loads((session / "session.json").read_text())
    assert info["identities_labels"][0] == "Nemo" and info["length_calibrations"][0]["distance"] == 2.0


def test_a_saved_removal_stays_removed_when_the_session_is_reopened(window, session, qtbot):
    _select(window, 12, 1)
    window.remove_centroid()
    window.save()
    again = ValidatorWindow(session)
    qtbot.addWidget(again)
    assert np.isnan(again.session.trajectories()[12, 0]).all()
    assert any(e[:3] == (MISS_ID, 1, 12) for e in _errors(again))
