"""Event sinks: the JSON-lines log file, the terminal output and the in-memory recorder."""

from __future__ import annotations

import json
import pickle
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from idtracker.adapters.events.memory_sink import InMemoryEventSink, ProgressBlock
from idtracker.adapters.events.structlog_sink import StructlogEventSink, format_duration
from idtracker.application.events import (
    BlobsSegmented,
    Event,
    SessionFailed,
    SessionFinished,
    SessionStarted,
    TrajectoriesWritten,
    WarningRaised,
)

SESSION_STARTED = SessionStarted(
    session="session_fish",
    session_folder="/data/session_fish",
    video_paths=("/data/a.avi", "/data/b.avi"),
    number_of_frames=1000,
    number_of_episodes=4,
    number_of_workers=2,
    parameters={"number_of_animals": 8, "intensity_ths": [0, 155]},
)
BLOBS_SEGMENTED = BlobsSegmented(
    number_of_blobs=8000,
    number_of_frames=1000,
    mean_blobs_per_frame=8.0,
    frames_with_more_blobs_than_animals=3,
    frames_with_no_blobs=0,
    frames_per_second=512.5,
    duration_s=1.95,
)


@pytest.fixture
def plain_terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Run in tmp_path with stdout seen as a pipe, whatever the environment forces."""
    monkeypatch.chdir(tmp_path)
    for variable in ("TTY_COMPATIBLE", "FORCE_COLOR"):
        monkeypatch.delenv(variable, raising=False)
    return tmp_path


def read_log(folder: Path) -> list[dict]:
    """Every line of idtrackerai.log parsed as JSON (fails on any line that is not)."""
    lines = (folder / "idtrackerai.log").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def publish_all(events: list[Event], **sink_options: object) -> None:
    with StructlogEventSink(**sink_options) as sink:
        for event in events:
            sink.publish(event)


def test_each_event_is_one_json_line_in_the_working_directory(plain_terminal: Path) -> None:
    publish_all([SESSION_STARTED, BLOBS_SEGMENTED], console=False)

    started, segmented = read_log(plain_terminal)
    assert list(segmented)[:4] == ["event", "timestamp", "level", "session"]
    assert segmented["event"] == "blobs_segmented"
    assert segmented["level"] == "info"
    assert segmented["number_of_blobs"] == 8000
    assert segmented["duration_s"] == pytest.approx(1.95)
    assert started["video_paths"] == ["/data/a.avi", "/data/b.avi"]
    assert started["parameters"] == {"number_of_animals": 8, "intensity_ths": [0, 155]}


def test_timestamps_are_iso_8601_utc(plain_terminal: Path) -> None:
    publish_all([BLOBS_SEGMENTED], console=False)

    (line,) = read_log(plain_terminal)
    stamp = datetime.fromisoformat(line["timestamp"].replace("Z", "+00:00"))
    assert stamp.utcoffset() == timedelta(0)
    assert abs(datetime.now(timezone.utc) - stamp) < timedelta(minutes=1)


def test_session_given_to_constructor_is_on_every_line(plain_terminal: Path) -> None:
    with StructlogEventSink(console=False, session="session_fish") as sink:
        sink.message("Loading parameters from a.toml")
        sink.publish(BLOBS_SEGMENTED)
        with sink.progress("Segmenting", total=2) as advance:
            advance(2)

    assert [line["session"] for line in read_log(plain_terminal)] == ["session_fish"] * 3


def test_session_bound_later_applies_to_following_lines(plain_terminal: Path) -> None:
    with StructlogEventSink(console=False) as sink:
        sink.message("Loading parameters from a.toml")
        sink.bind_session("session_fish")
        sink.publish(BLOBS_SEGMENTED)

    assert [line["session"] for line in read_log(plain_terminal)] == [None, "session_fish"]


def test_session_started_binds_its_session_when_none_is_bound(plain_terminal: Path) -> None:
    publish_all([SESSION_STARTED, BLOBS_SEGMENTED], console=False)

    assert {line["session"] for line in read_log(plain_terminal)} == {"session_fish"}


def test_levels_follow_the_event(plain_terminal: Path) -> None:
    publish_all([WarningRaised("few frames"), SessionFailed("ValueError: bad roi")], console=False)

    warning, failure = read_log(plain_terminal)
    assert (warning["event"], warning["level"], warning["message"]) == ("warning_raised", "warning", "few frames")
    assert (failure["event"], failure["level"], failure["error"]) == ("session_failed", "error", "ValueError: bad roi")


def test_paths_numpy_scalars_and_non_finite_floats_become_json(plain_terminal: Path) -> None:
    with StructlogEventSink(console=False) as sink:
        sink.message("Saved", path=Path("out/a.h5"), blobs=np.int64(3), accuracy=np.float32(0.5), loss=float("nan"))

    (line,) = read_log(plain_terminal)
    assert (line["path"], line["blobs"], line["accuracy"], line["loss"]) == ("out/a.h5", 3, 0.5, None)


def test_message_rejects_unknown_levels(plain_terminal: Path) -> None:
    with StructlogEventSink(console=False) as sink, pytest.raises(ValueError, match="level must be one of"):
        sink.message("hello", level="loud")


def test_log_file_is_appended_to_across_runs(plain_terminal: Path) -> None:
    publish_all([BLOBS_SEGMENTED], console=False)
    publish_all([BLOBS_SEGMENTED], console=False)

    assert len(read_log(plain_terminal)) == 2


def test_progress_block_logs_what_it_completed(plain_terminal: Path) -> None:
    with StructlogEventSink(console=False) as sink:
        with sink.progress("Segmenting episodes", total=4) as advance:
            advance(1)
            advance(2)

    (line,) = read_log(plain_terminal)
    assert line["event"] == "progress_finished"
    assert (line["description"], line["total"], line["completed"]) == ("Segmenting episodes", 4, 3)
    assert line["duration_s"] >= 0


def test_progress_is_logged_even_when_the_block_fails(plain_terminal: Path) -> None:
    with StructlogEventSink(console=False) as sink, pytest.raises(RuntimeError):
        with sink.progress("Training", total=None) as advance:
            advance(5)
            raise RuntimeError("out of memory")

    (line,) = read_log(plain_terminal)
    assert (line["event"], line["total"], line["completed"]) == ("progress_finished", None, 5)


def test_piped_stdout_gets_readable_lines_but_no_live_bar(
    plain_terminal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with StructlogEventSink() as sink:
        sink.publish(BLOBS_SEGMENTED)
        with sink.progress("Segmenting episodes", total=4) as advance:
            advance(4)

    out = capsys.readouterr().out
    assert "Blobs segmented" in out
    assert "blobs=8,000" in out and "duration=1.9 s" in out
    assert "Segmenting episodes: 4/4 in" in out
    assert "━" not in out and "\x1b[" not in out
    assert [line["event"] for line in read_log(plain_terminal)] == ["blobs_segmented", "progress_finished"]


def test_console_off_prints_nothing_but_logs_everything(
    plain_terminal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with StructlogEventSink(console=False) as sink:
        sink.publish(SessionFailed("boom"))
        with sink.progress("Segmenting", total=1) as advance:
            advance(1)

    assert capsys.readouterr().out == ""
    assert len(read_log(plain_terminal)) == 2


def test_terminal_draws_nested_live_bars(
    plain_terminal: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    with StructlogEventSink() as sink:
        with sink.progress("Episodes", total=2) as outer:
            with sink.progress("Frames", total=10) as inner:
                inner(10)
            outer(2)

    out = capsys.readouterr().out
    assert "━" in out and "Frames" in out
    assert [line["completed"] for line in read_log(plain_terminal)] == [10, 2]


def test_readable_line_shows_durations_and_stage_timings(
    plain_terminal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    finished = SessionFinished("/data/session_fish", 184.0, {"segmentation": 1.2, "identification": 3723.0})
    publish_all([finished, TrajectoriesWritten(("h5", "csv"), "/data/t", 0.99, 0.35)])

    out = capsys.readouterr().out
    assert "Session finished" in out and "duration=3 min 4 s" in out
    assert "segmentation 1.2 s, identification 1 h 2 min" in out
    assert "formats=h5, csv" in out and "duration=350 ms" in out


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.35, "350 ms"), (1.24, "1.2 s"), (184.0, "3 min 4 s"), (3723.0, "1 h 2 min")],
)
def test_durations_read_as_people_write_them(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_sink_refuses_to_travel_to_worker_processes(plain_terminal: Path) -> None:
    with StructlogEventSink(console=False) as sink, pytest.raises(TypeError, match="main process"):
        pickle.dumps(sink)


def test_in_memory_sink_records_events_and_calls_back_in_order() -> None:
    received: list[Event] = []
    sink = InMemoryEventSink(on_event=received.append)

    sink.publish(SESSION_STARTED)
    sink.publish(BLOBS_SEGMENTED)
    sink.publish(WarningRaised("few frames"))

    assert sink.events == received == [SESSION_STARTED, BLOBS_SEGMENTED, WarningRaised("few frames")]
    assert sink.names == ["session_started", "blobs_segmented", "warning_raised"]
    assert sink.of_type(BlobsSegmented) == [BLOBS_SEGMENTED]


def test_in_memory_sink_records_progress_blocks() -> None:
    sink = InMemoryEventSink()

    with sink.progress("Segmenting", total=3) as advance:
        advance(1)
        advance()
    with pytest.raises(RuntimeError), sink.progress("Training", total=None) as advance:
        advance(7)
        raise RuntimeError("stopped")

    assert sink.progress_blocks == [
        ProgressBlock("Segmenting", 3, completed=2, finished=True),
        ProgressBlock("Training", None, completed=7, finished=True),
    ]
