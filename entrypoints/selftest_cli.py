"""``idtrackerai_test``: render a video with known identities, track it, and check the result.

The normal pipeline with the normal settings runs on a rendered video, so a fresh installation (or
a change to the code) is judged by accuracy against ground truth, not by "it ran". Exits 1 when
identity accuracy on individual frames is below ``--min_accuracy``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from idtracker.adapters.config.toml_settings import load_toml, structure_settings
from idtracker.adapters.storage.trajectory_files import read_trajectories
from idtracker.adapters.video.renderer import RenderSettings, render_video
from idtracker.application.errors import UserError
from idtracker.domain.scoring import TrackingScore, score_tracking

from .app import track


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="idtrackerai_test", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("idtrackerai_test"),
                        help="folder for the rendered video and its session (default: ./idtrackerai_test)")
    parser.add_argument("--animals", type=int, default=8, help="number of animals (default: 8)")
    parser.add_argument("--frames", type=int, default=300, help="number of frames (default: 300)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the rendered video (default: 0)")
    parser.add_argument("--distinctness", type=float, default=0.6,
                        help="how different the animals look, 0 (nearly identical) to 1 (default: 0.6)")
    parser.add_argument("--min_accuracy", type=float, default=0.99,
                        help="exit 1 below this identity accuracy on individual frames (default: 0.99)")
    return parser


def report(score: TrackingScore, timers: dict, wall_s: float) -> str:
    """The lines printed at the end: time per stage, then accuracy figures."""
    lines = ["", "stage                          seconds"]
    lines += [f"  {name:<28} {t['duration_s']:8.1f}" for name, t in timers.items() if "duration_s" in t]
    acc = score.accuracy
    lines += [f"  {'total (wall)':<28} {wall_s:8.1f}", "",
              f"identity accuracy, individual frames  {acc.acc_individual:.4f}",
              f"identity accuracy, all frames         {acc.acc_all:.4f}",
              f"IDF1 at 1 / 0.5 body lengths          {score.idf1_one_body.idf1:.4f} / {score.idf1_half_body.idf1:.4f}",
              f"coverage                              {acc.coverage:.4f}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    t0 = time.perf_counter()
    try:
        rendered = render_video(RenderSettings(animals=args.animals, frames=args.frames, seed=args.seed,
                                               distinctness=args.distinctness, name="idtrackerai_test"),
                                args.output)
        params = load_toml(rendered.settings_path)
        params["output_dir"] = str(args.output.resolve())
        settings = structure_settings(params)
    except (UserError, ValueError, TypeError) as error:
        print(f"idtrackerai_test: error: {error}", file=sys.stderr)
        return 2
    code = track(settings, overwrite=True)  # a test of this installation always tracks afresh
    if code != 0:
        return code
    folder = args.output.resolve() / f"session_{settings.session_name}"
    score = score_tracking(rendered.truth, read_trajectories(folder)["trajectories"])
    timers = json.loads((folder / "session.json").read_text())["timers"]
    print(report(score, timers, time.perf_counter() - t0))
    if (folder / "report.html").is_file():
        print(f"session report (plots of the tracks, certainty, crossings, stages): {folder / 'report.html'}")
    if not score.accuracy.acc_individual >= args.min_accuracy:
        print(f"idtrackerai_test: FAILED, accuracy {score.accuracy.acc_individual:.4f} < {args.min_accuracy}",
              file=sys.stderr)
        return 1
    print("idtrackerai_test: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
