"""Exclusive ROIs: two tanks side by side in one video, each its own group of identities.

Usage: python bench/two_tanks.py [--animals N] [--frames F] [--seeds S ...] [--work DIR]

Renders, per seed, two tanks of ``--animals`` fish each (different animals, side by side, one ROI
per tank, ``exclusive_rois true``), tracks them with the real ``idtrackerai`` command and prints
the accuracy on individual frames and on all frames, the identities seen in both tanks (must be
none), the session's identities_groups, its estimated accuracy and the time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import attrs
import numpy as np

from idtracker.adapters.storage.ground_truth_file import read_ground_truth
from idtracker.adapters.storage.trajectory_files import read_trajectories
from idtracker.adapters.video.renderer import RenderSettings
from idtracker.adapters.video.two_tanks import render_two_tanks
from idtracker.domain.scoring import identity_accuracy

BIN = Path(sys.executable).parent
GAP = 16


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--animals", type=int, default=4, help="animals per tank (default 4)")
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--size", type=int, default=500, help="tank width and height in px (default 500)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--work", type=Path, default=Path("bench_work/two_tanks"))
    args = parser.parse_args()
    print(f"{'case':<16} {'acc_ind':>8} {'acc_all':>8} {'in both':>8} {'est':>7} {'time_s':>7}  identities_groups")
    for seed in args.seeds:
        folder = (args.work / f"seed_{seed}").resolve()
        tank = RenderSettings(animals=args.animals, frames=args.frames, width=args.size, height=args.size,
                              body_length=36.0, seed=seed)
        if not (folder / "gt.npz").exists():
            render_two_tanks(tank, attrs.evolve(tank, seed=seed + 1000), folder, gap=GAP)
        out = folder / "out"
        out.mkdir(exist_ok=True)
        t0 = time.perf_counter()
        subprocess.run([str(BIN / "idtrackerai"), "--load", str(folder / "two_tanks.toml"), "--output_dir", str(out),
                        "--track"], cwd=out, check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - t0
        data = read_trajectories(out / "session_two_tanks")
        truth = read_ground_truth(folder)
        acc = identity_accuracy(truth.positions, truth.touching, truth.body_length, data["trajectories"])
        x = data["trajectories"][..., 0]
        both = np.flatnonzero((x < args.size).any(0) & (x >= args.size + GAP).any(0)) + 1
        est = data.get("estimated_accuracy")
        print(f"{f'{args.animals}+{args.animals} s{seed}':<16} {acc.acc_individual:>8.4f} {acc.acc_all:>8.4f} "
              f"{len(both):>8} {est if est is None else round(est, 4):>7} {seconds:>7.1f}  {data['identities_groups']}")


if __name__ == "__main__":
    main()
