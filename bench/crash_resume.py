"""Sessions killed with SIGKILL at random moments, then run again: are the trajectories identical?

Usage: python bench/crash_resume.py [--kills 10] [--frames 1500] [--animals 8] [--seed 0] [--work DIR]

Renders one video, tracks it once uninterrupted (the reference), then ``--kills`` times: starts the
same ``idtrackerai --track`` command on a fresh session folder, kills its whole process group
(workers included, as a power cut would) at a moment drawn uniformly over the reference's wall
time, and runs the same command again to the end. Prints, per kill, the moment, the stage the log
had reached, what the second run resumed from, its wall time, and whether ``trajectories.npy``
(trajectories, id_probabilities, estimated accuracy) equals the reference's exactly.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from idtracker.adapters.video.renderer import RenderSettings, render_video

BIN = Path(sys.executable).parent


def _command(toml: Path, name: str, out: Path) -> list[str]:
    return [str(BIN / "idtrackerai"), "--load", str(toml), "--name", name, "--output_dir", str(out), "--track"]


def _run(command: list[str], cwd: Path, kill_after: float | None = None) -> float:
    """Wall time of ``command``; killed (with its workers) after ``kill_after`` seconds if given."""
    t0 = time.perf_counter()
    with open(cwd / "stdout.txt", "ab") as out:
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            process.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return time.perf_counter() - t0


def _last_stage(log: Path) -> str:
    """The last event the killed run logged."""
    last = "nothing logged"
    if log.exists():
        for line in log.read_text(errors="replace").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue  # the line being written when the process died
            last = event.get("event", last)
    return last


def _resumed(log: Path) -> str:
    kept = [json.loads(line) for line in log.read_text().splitlines() if '"checkpoint_resumed"' in line]
    if any('"session_already_done"' in line for line in log.read_text().splitlines()):
        return "already done"
    return ", ".join(f"{e['stage']}: {e['detail']}" for e in kept) or "from the start"


def _trajectories(folder: Path) -> dict:
    return np.load(folder / "trajectories" / "trajectories.npy", allow_pickle=True).item()


def _same(a: dict, b: dict) -> bool:
    return (np.array_equal(a["trajectories"], b["trajectories"], equal_nan=True)
            and np.array_equal(a["id_probabilities"], b["id_probabilities"], equal_nan=True)
            and a["estimated_accuracy"] == b["estimated_accuracy"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--frames", type=int, default=1500)
    parser.add_argument("--animals", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0, help="draws the kill moments (the video is rendered with seed 3)")
    parser.add_argument("--work", type=Path, default=Path("bench_work/crash_resume"))
    args = parser.parse_args()
    work = args.work.resolve()
    video = work / "video"
    if not (video / "crash.avi").exists():
        render_video(RenderSettings(animals=args.animals, frames=args.frames, seed=3, width=600, height=600,
                                    name="crash"), video)
    toml, out = video / "crash.toml", work / "sessions"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    runs = work / "runs"
    shutil.rmtree(runs, ignore_errors=True)
    (runs / "reference").mkdir(parents=True)
    full = _run(_command(toml, "reference", out), runs / "reference")
    reference = _trajectories(out / "session_reference")
    print(f"reference: {args.frames} frames, {args.animals} animals, {full:.1f} s uninterrupted")
    print(f"{'kill':>4} {'at_s':>6}  {'killed during':<24} {'resume_s':>8}  identical  resumed from")
    rng = np.random.default_rng(args.seed)
    identical = 0
    for k in range(args.kills):
        cwd = runs / f"kill_{k}"
        cwd.mkdir()
        at = float(rng.uniform(0.5, full))
        command = _command(toml, f"kill_{k}", out)
        _run(command, cwd, kill_after=at)
        stage = _last_stage(cwd / "idtrackerai.log")
        resume = _run(command, cwd)
        same = _same(_trajectories(out / f"session_kill_{k}"), reference)
        identical += same
        print(f"{k:>4} {at:>6.1f}  {stage[:24]:<24} {resume:>8.1f}  {str(same):<9}  {_resumed(cwd / 'idtrackerai.log')}",
              flush=True)
    print(f"identical to the uninterrupted run: {identical}/{args.kills}")


if __name__ == "__main__":
    main()
