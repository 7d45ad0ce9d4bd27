"""``idtrackerai_render``: a synthetic video of swimming fish with its ground truth.

Writes ``OUT/<name>.avi`` (or ``.mp4``), ``OUT/gt.npz`` and ``OUT/<name>.toml``; the name is the
folder's unless ``--name`` is given. ``idtrackerai --load OUT/<name>.toml --track`` tracks it and
``score.py OUT <trajectories>`` grades the result.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from idtracker.application.errors import UserError

_NAME = re.compile(r"[A-Za-z0-9_.-]+")


class _Parser(argparse.ArgumentParser):
    """argparse reporting mistakes as one-line :class:`UserError` instead of a usage dump."""

    def error(self, message: str) -> None:
        raise UserError(message.removeprefix("argument "))


def _bounded(kind: Callable[[str], float], low: float, high: float) -> Callable[[str], float]:
    """An argparse type accepting ``kind`` values in [low, high], naming the range when refused."""
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is out of range [{low:g}, {high:g}]")
        return value
    return parse


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="idtrackerai_render",
                     description="Render fish swimming in a tank, with ground truth, for testing the tracker.")
    parser.add_argument("out", type=Path, metavar="OUT", help="folder to write the video, gt.npz and parameters into")
    parser.add_argument("--animals", type=_bounded(int, 1, 100), required=True, help="number of animals (1-100)")
    parser.add_argument("--frames", type=_bounded(int, 1, 10**7), required=True, help="number of frames")
    parser.add_argument("--seed", type=int, default=0, help="random seed: same seed, same video (default 0)")
    parser.add_argument("--swim_seed", type=int, default=None,
                        help="seed of the swimming alone: the same animals (looks, tank) swimming otherwise, "
                             "as a second recording of them (default: from --seed)")
    parser.add_argument("--distinctness", type=_bounded(float, 0, 1), default=0.6,
                        help="how different animals look, 0 nearly identical to 1 obvious (default 0.6)")
    parser.add_argument("--body_length", type=_bounded(float, 8, 300), default=45.0,
                        help="typical body length in px (default 45)")
    parser.add_argument("--size", type=_bounded(int, 64, 8192), nargs=2, default=(800, 800), metavar=("W", "H"),
                        help="frame size in px (default 800 800)")
    parser.add_argument("--noise", type=_bounded(float, 0, 40), default=3.0,
                        help="sensor noise, gray-level standard deviation (default 3)")
    parser.add_argument("--wall_resting", type=_bounded(float, 0, 0.95), default=None,
                        help="share of the time each animal rests along the wall, 0-0.95 (default: short pauses "
                             "in open water)")
    parser.add_argument("--schooling", type=_bounded(float, 0, 1), default=0.0,
                        help="how much the animals school: 0 each on its own, 1 side by side, the same way "
                             "(default 0)")
    parser.add_argument("--blur", type=_bounded(float, 0, 5), default=0.8,
                        help="optical blur, Gaussian sigma in px (default 0.8)")
    parser.add_argument("--light", type=_bounded(float, 0, 4), default=1.0,
                        help="how uneven the lighting is: 0 flat, 1 a typical lamp, up to 4 (default 1)")
    parser.add_argument("--fps", type=_bounded(float, 1, 1000), default=25.0, help="frames per second (default 25)")
    parser.add_argument("--codec", choices=("mjpg", "mp4"), default="mjpg", help="MJPG .avi or mp4v .mp4 (default mjpg)")
    parser.add_argument("--no_wall", action="store_true", help="no circular tank: animals use the whole frame")
    parser.add_argument("--name", help="file name stem (default: the OUT folder's name)")
    return parser


def _name(args: argparse.Namespace) -> str:
    name = args.name if args.name is not None else (args.out.resolve().name or "rendered")
    if not _NAME.fullmatch(name):
        raise UserError(f"--name: {name!r} must be letters, digits, '_', '-' or '.'; give --name")
    return name


def main(argv: Sequence[str] | None = None) -> int:
    """Render as the command line asks; returns 0, or 2 with one line on stderr for a user error."""
    try:
        args = _parser().parse_args(argv)
        name = _name(args)
        if args.out.exists() and not args.out.is_dir():
            raise UserError(f"OUT: {args.out} exists and is not a folder")
    except UserError as error:
        print(f"idtrackerai_render: error: {error}", file=sys.stderr)
        return 2
    from idtracker.adapters.video.renderer import RenderSettings, render_video  # cv2: not needed for -h

    settings = RenderSettings(
        animals=args.animals, frames=args.frames, seed=args.seed, width=args.size[0], height=args.size[1],
        body_length=args.body_length, distinctness=args.distinctness, noise=args.noise, fps=args.fps,
        blur=args.blur, light=args.light,
        codec=args.codec, wall=not args.no_wall, name=name, swim_seed=args.swim_seed,
        wall_resting=args.wall_resting, schooling=args.schooling)
    try:
        rendered = render_video(settings, args.out)
    except OSError as error:
        print(f"idtrackerai_render: error: {error}", file=sys.stderr)
        return 2
    truth = rendered.truth
    print(f"rendered {rendered.video_path} ({truth.n_animals} animals, {truth.n_frames} frames, "
          f"body length {truth.body_length:.1f} px, touching {truth.touching.mean():.1%}) "
          f"in {rendered.seconds:.1f} s")
    print(f"ground truth {rendered.ground_truth_path}; parameters {rendered.settings_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
