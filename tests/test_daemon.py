"""The watch-folder daemon: a real watchdog observer, a real sqlite queue, real videos arriving, kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from idtracker.adapters.storage.sqlite_jobs import SqliteJobQueue
from idtracker.entrypoints.daemon_cli import DB_NAME, LOG_NAME, main

from synthetic_videos import render_dots

DEFAULTS = ("intensity_ths = [0, 100]\narea_ths = [50, inf]\nnumber_of_animals = 3\n"
            "track_wo_identities = true\ntrajectories_formats = ['npy']\n")


@pytest.fixture
def watched(tmp_path) -> tuple[Path, Path]:
    folder = tmp_path / "incoming"
    folder.mkdir()
    defaults = tmp_path / "defaults.toml"
    defaults.write_text(DEFAULTS)
    return folder, defaults


def _status(folder: Path) -> dict[str, str]:
    return {Path(p).name: state for state, p in (job.split(" ", 1) for job in _status_lines(folder))}


def _status_lines(folder: Path) -> list[str]:
    out = subprocess.run([sys.executable, "-m", "idtracker.entrypoints.daemon_cli", str(folder), "--status"],
                         capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def _log_events(folder: Path, name: str) -> list[str]:
    log = folder / LOG_NAME
    return [line for line in log.read_text().splitlines() if f'"{name}"' in line] if log.exists() else []


def test_videos_arriving_whole_are_tracked_once_and_a_corrupt_one_fails_with_its_error(watched, tmp_path, monkeypatch):
    folder, defaults = watched
    monkeypatch.chdir(tmp_path)
    render_dots(folder / "a.avi", frames=30)
    render_dots(tmp_path / "b_source.avi", frames=30, seed=1)
    (folder / "broken.avi").write_bytes(b"not a video at all" * 100)
    payload = (tmp_path / "b_source.avi").read_bytes()
    with open(folder / "b.avi", "wb") as copy:  # a slow copy: the daemon must wait for the whole file
        copy.write(payload[:len(payload) // 3])
    daemon = subprocess.Popen([sys.executable, "-m", "idtracker.entrypoints.daemon_cli", str(folder), "--load",
                               str(defaults), "--settle_s", "1.0", "--exit_when_idle"], cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.6)
    with open(folder / "b.avi", "ab") as copy:
        copy.write(payload[len(payload) // 3:])
    assert daemon.wait(timeout=120) == 0, daemon.stderr.read()
    assert _status(folder) == {"a.avi": "done", "b.avi": "done", "broken.avi": "failed"}
    assert len(_log_events(folder, "job_started")) == 2 and len(_log_events(folder, "job_finished")) == 2
    failed = {job.path.name: job for job in SqliteJobQueue(folder / DB_NAME).all()}["broken.avi"]
    assert failed.error and "\n" not in failed.error and failed.log.endswith(LOG_NAME)
    assert (folder / "session_a" / "trajectories" / "trajectories.npy").is_file()
    # Run again: nothing is tracked twice.
    assert main([str(folder), "--load", str(defaults), "--settle_s", "0.2", "--exit_when_idle"]) == 0
    assert len(_log_events(folder, "job_started")) == 2


def test_a_job_killed_with_minus_9_is_tracked_again_at_the_next_start(watched, tmp_path):
    folder, defaults = watched
    render_dots(folder / "long.avi", frames=400)
    command = [sys.executable, "-m", "idtracker.entrypoints.daemon_cli", str(folder), "--load", str(defaults),
               "--settle_s", "0.3", "--exit_when_idle"]
    daemon = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    deadline = time.time() + 60
    while not _log_events(folder, "job_started") and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(daemon.pid, signal.SIGKILL)
    daemon.wait()
    assert _status(folder) == {"long.avi": "running"}
    assert subprocess.run(command, cwd=tmp_path, capture_output=True).returncode == 0
    assert _status(folder) == {"long.avi": "done"}
    assert len(_log_events(folder, "job_started")) == 2 and len(_log_events(folder, "job_finished")) == 1


def test_status_and_a_missing_folder(tmp_path, capsys):
    assert main([str(tmp_path / "nowhere")]) == 2
    assert "WATCH_DIR" in capsys.readouterr().err
    assert main([str(tmp_path), "--status"]) == 0 and capsys.readouterr().out == ""


def test_a_video_whose_tracking_crashes_is_failed_not_retried_forever(tmp_path):
    from idtracker.adapters.events.memory_sink import InMemoryEventSink
    from idtracker.application.auto_tracking import AutoTracking, FileFacts

    queue = SqliteJobQueue(tmp_path / DB_NAME)
    video = tmp_path / "a.avi"
    queue.queue(video, 10, 1.0)

    def crash(settings):
        raise MemoryError("out of memory\nwhile training")

    auto = AutoTracking(queue, lambda p: FileFacts(10, 1.0), lambda p: None, lambda p: None, crash,
                        InMemoryEventSink(), 0.0, "log")
    assert auto.run_next()
    [job] = queue.all()
    assert job.state == "failed" and job.error == "MemoryError: out of memory while training"
    assert not auto.run_next()


@pytest.mark.slow
def test_with_a_local_dask_cluster_each_video_is_a_session_task_tracked_once(watched, tmp_path):
    pytest.importorskip("distributed")
    folder, defaults = watched
    for k in range(3):
        render_dots(folder / f"v{k}.avi", frames=60)
    (folder / "broken.avi").write_bytes(b"not a video" * 100)
    command = [sys.executable, "-m", "idtracker.entrypoints.daemon_cli", str(folder), "--load", str(defaults),
               "--settle_s", "0.3", "--exit_when_idle", "--dask_scheduler", "local"]
    assert subprocess.run(command, cwd=tmp_path, capture_output=True, timeout=300).returncode == 0
    assert _status(folder) == {"v0.avi": "done", "v1.avi": "done", "v2.avi": "done", "broken.avi": "failed"}
    assert len(_log_events(folder, "sessions_on_dask")) == 1
    assert len(_log_events(folder, "job_started")) == 3 and len(_log_events(folder, "job_finished")) == 3
    for k in range(3):  # each task's session logged in its own folder, and said how it ran its episodes
        log = (folder / f"session_v{k}" / "idtrackerai.log").read_text()
        assert '"session_finished"' in log and "runs as a Dask task" in log
        assert (folder / f"session_v{k}" / "trajectories" / "trajectories.npy").exists()
