"""Knowledge transfer: does every animal keep its identity from one session to the next?

Usage: python bench/transfer.py [--animals N] [--frames F] [--distinctness D] [--seed S] [--work DIR]

Renders a video and a second recording of the same animals (same looks and tank, other swimming:
the renderer's ``swim_seed``). Tracks the first half of the video (session ``first``), then with
``--knowledge_transfer_folder`` set to it the second half (``second_half``) and the second
recording (``other_video``), each by the real ``idtrackerai`` command. Prints, per session, the
identity every true animal got (from the scorer's matching), how many animals carry the same
identity as in ``first``, the accuracy on individual frames and the transfer's own report. Then
tracks the second recording without transfer (``independent``) and runs ``idmatcherai first
independent``: how many of its identities are matched to the right identity of ``first``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from idtracker.adapters.storage.ground_truth_file import read_ground_truth
from idtracker.adapters.storage.trajectory_files import read_trajectories
from idtracker.adapters.video.renderer import RenderSettings, render_video
from idtracker.domain.scoring import identity_accuracy

BIN = Path(sys.executable).parent


def _track(toml: Path, out: Path, name: str, *extra: str) -> float:
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    subprocess.run([str(BIN / "idtrackerai"), "--load", str(toml), "--output_dir", str(out), "--name", name,
                    "--track", *extra], cwd=out, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _identities(folder: Path, session: Path) -> tuple[dict[int, int], float]:
    """{true animal: its identity (1-based)} and the accuracy on individual frames."""
    truth = read_ground_truth(folder)
    trajectories = read_trajectories(session)["trajectories"]
    [(start, stop)] = json.loads((session / "session.json").read_text())["tracking_intervals"]
    acc = identity_accuracy(truth.positions[start:stop], truth.touching[start:stop], truth.body_length,
                            trajectories[start:stop])
    return {animal: output + 1 for output, animal in acc.mapping}, acc.acc_individual


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--animals", type=int, default=8)
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--distinctness", type=float, default=0.6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=Path("bench_work/transfer"))
    args = parser.parse_args()
    work = args.work.resolve()
    videos = {}
    for label, swim_seed in (("video", None), ("other", 1)):
        folder = work / label
        if not (folder / "gt.npz").exists():
            render_video(RenderSettings(animals=args.animals, frames=args.frames, seed=args.seed,
                                        distinctness=args.distinctness, swim_seed=swim_seed, name=label), folder)
        videos[label] = folder
    half = args.frames // 2
    toml = videos["video"] / "video.toml"
    first = work / "out" / "session_first"
    sessions = {
        "first": (videos["video"], _track(toml, work / "out", "first", "--tracking_intervals", f"[0,{half}]")),
    }
    sessions["second_half"] = (videos["video"], _track(toml, work / "out", "second_half", "--tracking_intervals",
                                                       f"[{half},{args.frames}]", "--knowledge_transfer_folder",
                                                       str(first)))
    sessions["other_video"] = (videos["other"], _track(videos["other"] / "other.toml", work / "out", "other_video",
                                                       "--knowledge_transfer_folder", str(first)))
    independent = _track(videos["other"] / "other.toml", work / "out", "independent")
    reference, _ = _identities(videos["video"], first)
    print(f"{'session':<12} {'same id':>8} {'acc_ind':>8} {'time_s':>7} {'transfer':>9} {'quality':>8}  identities")
    for name, (folder, seconds) in sessions.items():
        ids, accuracy = _identities(folder, work / "out" / f"session_{name}")
        info = json.loads((work / "out" / f"session_{name}" / "session.json").read_text())
        same = sum(ids.get(a) == reference.get(a) for a in range(args.animals))
        quality = info.get("identity_transfer_quality")
        print(f"{name:<12} {same:>4}/{args.animals:<3} {accuracy:>8.4f} {seconds:>7.1f} "
              f"{str(info.get('identity_transfer_succeeded')):>9} {'' if quality is None else f'{quality:.3f}':>8}  "
              + " ".join(str(ids.get(a, "-")) for a in range(args.animals)))
    _idmatcher(first, work / "out" / "session_independent", videos["other"], reference, args.animals, independent)


def _idmatcher(master: Path, session: Path, folder: Path, reference: dict[int, int], animals: int,
               tracking_s: float) -> None:
    """idmatcherai on the master and a session tracked without transfer: is every identity named right?"""
    t0 = time.perf_counter()
    subprocess.run([str(BIN / "idmatcherai"), str(master), str(session)], cwd=session.parent, check=True,
                   stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    rows = (session / "matching_results" / master.name / "assignments.csv").read_text().splitlines()[1:]
    assignment = {int(r.split(",")[0]): int(r.split(",")[1]) for r in rows if r.split(",")[1]}
    own, _ = _identities(folder, session)
    right = sum(assignment.get(own[a]) == reference[a] for a in range(animals))
    print(f"idmatcherai {master.name} {session.name} (tracked in {tracking_s:.1f} s without transfer): "
          f"{right}/{animals} identities matched right, in {seconds:.1f} s")


if __name__ == "__main__":
    main()
