"""The watch-folder daemon under stress: many videos arriving, slow copies, corrupt files, kill -9 twice.

Usage: python bench/daemon.py [--videos 50] [--slow 10] [--corrupt 5] [--kills 2] [--dask_scheduler local] [--work DIR]

Renders short videos, then drops them into a watched folder while ``idtrackerai_daemon`` runs:
most copied at once, ``--slow`` written in pieces over a few seconds, ``--corrupt`` as garbage. The
daemon is killed with SIGKILL ``--kills`` times, each time right after it started a job, and started
again; a last run with ``--exit_when_idle`` finishes the queue. Prints, from the daemon's own event
log and its ``--status``: sessions done, failed, ``JobStarted`` per video (1, or 2 for a job a kill
interrupted), and whether every done video has exactly one ``JobFinished``. With ``--dask_scheduler``
the daemon runs each session as a Dask task (sessions' events are then in their own folders).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from idtracker.adapters.video.renderer import RenderSettings, render_video

BIN = Path(sys.executable).parent
DEFAULTS = ("intensity_ths = [0, 140]\narea_ths = [20, inf]\nnumber_of_animals = 2\ntrack_wo_identities = true\n"
            "trajectories_formats = ['npy']\n")


def _render(stage: Path, n: int) -> list[Path]:
    videos = []
    for k in range(n):
        folder = stage / f"v{k:02d}"
        if not (folder / f"v{k:02d}.avi").exists():
            render_video(RenderSettings(animals=2, frames=80, seed=k, width=200, height=200, body_length=24.0,
                                        name=f"v{k:02d}"), folder)
        videos.append(folder / f"v{k:02d}.avi")
    return videos


def _slow_copy(source: Path, target: Path, pieces: int = 6, pause_s: float = 0.5) -> None:
    payload = source.read_bytes()
    step = len(payload) // pieces + 1
    with open(target, "wb") as out:
        for k in range(0, len(payload), step):
            out.write(payload[k:k + step])
            out.flush()
            time.sleep(pause_s)


def _events(log: Path, name: str) -> list[dict]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if f'"{name}"' in line]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=50)
    parser.add_argument("--slow", type=int, default=10)
    parser.add_argument("--corrupt", type=int, default=5)
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--settle_s", type=float, default=2.0)
    parser.add_argument("--dask_scheduler", default=None, help="passed to the daemon: sessions as Dask tasks")
    parser.add_argument("--work", type=Path, default=Path("bench_work/daemon"))
    args = parser.parse_args()
    work = args.work.resolve()
    watched = work / "incoming"
    if watched.exists():
        shutil.rmtree(watched)
    watched.mkdir(parents=True)
    (work / "defaults.toml").write_text(DEFAULTS)
    videos = _render(work / "stage", args.videos - args.corrupt)
    command = [str(BIN / "idtrackerai_daemon"), str(watched), "--load", str(work / "defaults.toml"),
               "--settle_s", str(args.settle_s), *(["--dask_scheduler", args.dask_scheduler] if args.dask_scheduler else [])]
    log = watched / "idtrackerai_daemon.log"
    t0 = time.perf_counter()
    daemon = subprocess.Popen(command, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    copiers = []
    for k, video in enumerate(videos):
        target = watched / video.name
        if k < args.slow:
            copiers.append(threading.Thread(target=_slow_copy, args=(video, target)))
            copiers[-1].start()
        else:
            shutil.copy(video, target)
    for k in range(args.corrupt):
        (watched / f"corrupt_{k}.avi").write_bytes(os.urandom(20000 + 997 * k))
    kills = 0
    for kill_at in range(args.kills):
        wanted = (kill_at + 1) * max(3, (args.videos - args.corrupt) // (args.kills + 2))
        while len(_events(log, "job_started")) < wanted and daemon.poll() is None:
            time.sleep(0.02)
        os.killpg(daemon.pid, signal.SIGKILL)
        daemon.wait()
        kills += 1
        daemon = subprocess.Popen(command, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
    for copier in copiers:
        copier.join()
    os.killpg(daemon.pid, signal.SIGTERM)  # SIGTERM: finishes the running session, then exits
    daemon.wait()
    subprocess.run(command + ["--exit_when_idle"], cwd=work, stdout=subprocess.DEVNULL, check=True)
    seconds = time.perf_counter() - t0
    status = subprocess.run([str(BIN / "idtrackerai_daemon"), str(watched), "--status"], capture_output=True,
                            text=True, check=True).stdout.splitlines()
    states = collections.Counter(line.split(" ", 1)[0] for line in status)
    started = collections.Counter(Path(e["video"]).name for e in _events(log, "job_started"))
    finished = collections.Counter(Path(e["video"]).name for e in _events(log, "job_finished"))
    failed = {Path(e["video"]).name: e["error"] for e in _events(log, "job_failed")}
    done = {Path(line.split(" ", 1)[1]).name for line in status if line.startswith("done ")}
    sessions = sum((watched / f"session_{Path(v).stem}" / "trajectories" / "trajectories.npy").is_file() for v in done)
    print(f"{args.videos} videos ({args.slow} copied slowly, {args.corrupt} corrupt), {kills} kill -9, "
          f"settle {args.settle_s} s, {seconds:.1f} s in all")
    print(f"--status: {dict(states)}; sessions with trajectories: {sessions}")
    print(f"JobStarted per video: {dict(collections.Counter(started.values()))} (videos started twice: "
          f"{sorted(v for v, c in started.items() if c > 1)})")
    print(f"every done video finished exactly once: {all(finished[v] == 1 for v in done)}; "
          f"JobFinished events {sum(finished.values())}")
    print(f"checkpoints read back by resumed sessions: {len(_events(log, 'checkpoint_resumed'))}")
    print(f"failed: {len(failed)}: " + "; ".join(f"{v}: {e[:90]}" for v, e in sorted(failed.items())))


if __name__ == "__main__":
    main()
