"""Segmentation throughput on a Dask LocalCluster against the number of workers, beside local processes.

Usage: python bench/dask_throughput.py [--frames 1500] [--workers 1 2] [--work DIR]

Renders one video, then segments it (``track_wo_identities``: the episodes are the whole cost)
with ``number_of_parallel_workers`` k, without Dask and with ``--dask_scheduler local`` (a
LocalCluster of k single-threaded worker processes). Prints frames per second of the "Animal
detection" stage and of the whole session, and checks that every run's trajectories are identical.

On a real cluster (``--dask_scheduler tcp://host:8786``, e.g. from dask-jobqueue on SLURM) the
same episodes spread over many machines: throughput grows with workers until the shared file
system delivering the video saturates; a session's fixed costs (planning, stitching, fragments,
identification on the client) do not shrink, so the gain is largest for long videos.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from idtracker.adapters.storage.trajectory_files import read_trajectories
from idtracker.adapters.video.renderer import RenderSettings, render_video

BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1500)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--work", type=Path, default=Path("bench_work/dask"))
    args = parser.parse_args()
    work = args.work.resolve()
    video = work / "video"
    if not (video / "gt.npz").exists():
        render_video(RenderSettings(animals=8, frames=args.frames, seed=0, name="video"), video)
    runs, reference = [], None
    print(f"{'runner':<22}{'workers':>8}{'detect fps':>12}{'session s':>11}  identical")
    for workers in args.workers:
        for dask in (False, True):
            name = f"{'dask' if dask else 'processes'}_{workers}"
            command = [str(BIN / "idtrackerai"), "--load", str(video / "video.toml"), "--output_dir", str(work / "out"),
                       "--name", name, "--track_wo_identities", "true", "--number_of_parallel_workers", str(workers),
                       "--frames_per_episode", "250", "--track", *(["--dask_scheduler", "local"] if dask else [])]
            subprocess.run(command, cwd=work, check=True, stdout=subprocess.DEVNULL)
            session = work / "out" / f"session_{name}"
            timers = json.loads((session / "session.json").read_text())["timers"]
            trajectories = read_trajectories(session)["trajectories"]
            reference = trajectories if reference is None else reference
            same = np.array_equal(trajectories, reference, equal_nan=True)
            runs.append((name, workers, args.frames / timers["Animal detection"]["duration_s"],
                         timers["Tracking session"]["duration_s"], same))
            print(f"{'Dask LocalCluster' if dask else 'local processes':<22}{workers:>8}{runs[-1][2]:>12.0f}"
                  f"{runs[-1][3]:>11.1f}  {same}")


if __name__ == "__main__":
    main()
