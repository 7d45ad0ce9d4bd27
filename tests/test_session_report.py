"""The session report: written at the end of every session, every image it shows is there, readable for many animals."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from idtracker.adapters.report.session_report import write_report
from idtracker.adapters.storage.trajectory_files import write_trajectories
from idtracker.domain.trajectory_record import trajectories_dict
from idtracker.entrypoints.cli import main as track_main
from idtracker.entrypoints.report_cli import main as report_main

from synthetic_videos import render_dots


def _images(report: Path) -> list[Path]:
    return [report.parent / src for src in re.findall(r"<img src='([^']+)'", report.read_text())]


def test_every_session_gets_a_report_whose_images_all_exist(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    render_dots(tmp_path / "dots.avi", frames=60)
    assert track_main(["--video_paths", str(tmp_path / "dots.avi"), "--intensity_ths", "0", "100", "--area_ths", "50",
                       "inf", "--number_of_animals", "3", "--track_wo_identities", "true", "--name", "s",
                       "--output_dir", str(tmp_path), "--track"]) == 0
    report = tmp_path / "session_s" / "report.html"
    images = _images(report)
    assert len(images) >= 4 and all(p.is_file() and p.stat().st_size > 5000 for p in images)
    text = report.read_text()
    assert "3 identities" in text and "Parameters" in text and "intensity_ths" in text
    assert "report_written" in (tmp_path / "idtrackerai.log").read_text()
    report.unlink()
    assert report_main([str(tmp_path / "session_s")]) == 0 and report.is_file()


def test_a_hundred_animals_report_in_small_multiples(tmp_path):
    rng = np.random.default_rng(0)
    frames, n = 1500, 100
    positions = np.cumsum(rng.normal(0, 2, (frames, n, 2)), axis=0) + rng.uniform(100, 900, (1, n, 2))
    positions[rng.random((frames, n)) < 0.02] = np.nan
    probabilities = np.where(np.isnan(positions[..., :1]), 0.0, rng.uniform(0.5, 1.0, (frames, n, 1)))
    folder = tmp_path / "session_many"
    data = trajectories_dict(trajectories=positions, id_probabilities=probabilities, version="test", height=1000,
                             width=1000, video_paths=[], frames_per_second=25.0, body_length=20.0,
                             estimated_accuracy=0.99)
    write_trajectories(data, folder / "trajectories", ["npy"])
    (folder / "session.json").write_text('{"tracking_intervals": [[0, 1500]], "timers": {}}')
    report = write_report(folder)
    assert "100 identities" in report.read_text() and all(p.is_file() for p in _images(report))
