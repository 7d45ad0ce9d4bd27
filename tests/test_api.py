"""The embedding API: the README's example runs as written, events arrive as they happen, cancel stops."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import pytest

from idtracker.application import events as ev
from idtracker.entrypoints.api import Cancelled, SettingsError, track

from synthetic_videos import render_dots

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture
def recording(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    render_dots(tmp_path / "dots.avi", frames=60, animals=3)
    toml = tmp_path / "recording.toml"
    toml.write_text("video_paths = ['dots.avi']\nintensity_ths = [0, 100]\narea_ths = [50, inf]\n"
                    "track_wo_identities = true\n")
    return toml


def test_the_readme_example_runs_and_receives_the_events(recording, capsys):
    code = re.search(r"<!-- api-example -->\n```python\n(.*?)```", README.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README example", "exec"), namespace)
    out = capsys.readouterr().out
    assert "Segmenting video: 60/60" in out and "(60, 3, 2)" in out
    assert namespace["result"].session_folder == recording.parent / "session_dots"


def test_every_event_reaches_the_callback_in_order_with_progress(recording):
    seen: list[ev.Event] = []
    result = track(recording, on_event=seen.append)
    names = [e.name for e in seen]
    assert names[0] == "session_started" and names[-1] == "session_finished" and "progress_advanced" in names
    assert result.trajectories.shape == (60, 3, 2) and result.id_probabilities.shape == (60, 3)
    assert np.isfinite(result.trajectories).all() and "Tracking session" in result.stage_durations_s


def test_cancel_stops_the_session_and_writes_no_trajectories(recording):
    stop = threading.Event()

    def on_event(event):
        if isinstance(event, ev.BlobsSegmented):
            stop.set()

    with pytest.raises(Cancelled):
        track(recording, on_event=on_event, cancel=stop)
    assert not (recording.parent / "session_dots" / "trajectories").exists()
    assert '"session_failed"' in (recording.parent / "idtrackerai.log").read_text()


@pytest.mark.parametrize("settings, message", [
    ({"number_of_animals": -2}, "number_of_animals"),
    ({"video_paths": ["missing.avi"], "intensity_ths": [0, 100], "area_ths": [50, 100], "number_of_animals": 3},
     "missing.avi"),
    ({"nuber_of_animals": 3}, "nuber_of_animals"),
])
def test_bad_settings_raise_one_exception_with_the_clis_line(recording, settings, message):
    with pytest.raises(SettingsError, match=message) as error:
        track(settings)
    assert "\n" not in str(error.value)
