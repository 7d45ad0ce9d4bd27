"""``idtrackerai_background``: compute a video's background once and save it as a PNG.

The PNG can then be given as ``background_subtraction_stat`` so tracking skips the computation.
Options are idtracker.ai's (``-o/--output_path``, ``--n_frames``, ``--stat``, ``--tracking_intervals``),
with the settings' long names accepted too; the output is always a ``.png``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from idtracker.adapters.segmentation.opencv_image_tools import OpenCvImageTools
from idtracker.adapters.video.opencv_video import OpenCvVideoSource
from idtracker.adapters.config.toml_settings import structure_settings
from idtracker.application.compute_background import STATS, background_image
from idtracker.application.errors import UserError
from idtracker.application.session_setup import check_intervals
from idtracker.domain.episodes import normalise_intervals


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="idtrackerai_background",
        description="Compute the background of a video (a per-pixel statistic over sampled frames) and save it as PNG.")
    parser.add_argument("video_paths", nargs="+", type=Path, help="video file(s), read as one timeline")
    parser.add_argument("--stat", "--background_subtraction_stat", dest="stat", default="median", choices=STATS,
                        help="statistic over the sampled frames (default: median)")
    parser.add_argument("--n_frames", "--number_of_frames_for_background", "--frames", dest="n_frames", type=int,
                        default=50, help="number of frames sampled evenly over the tracked frames (default: 50)")
    parser.add_argument("--tracking_intervals", nargs="+", default=None, metavar="[START,END]",
                        help="sample only these frames, e.g. [0,1000] [2000,3000] (default: the whole video)")
    parser.add_argument("-o", "--output_path", "--output", dest="output", type=Path, default=None,
                        help="PNG path, suffix forced to .png (default: <first video stem>_background.png next to the video)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.n_frames < 1:
            raise UserError(f"n_frames: got {args.n_frames}, expected a number of frames >= 1")
        given = None if args.tracking_intervals is None else structure_settings(
            {"tracking_intervals": args.tracking_intervals}).tracking_intervals
        video = OpenCvVideoSource(args.video_paths)
        check_intervals(given, video.number_of_frames)
        images = OpenCvImageTools()
        background, used = background_image(video, images, args.stat, args.n_frames,
                                            normalise_intervals(given, video.number_of_frames))
        output = (args.output or args.video_paths[0].with_name(args.video_paths[0].stem + "_background")).with_suffix(".png")
        images.write_image(output, background)
    except UserError as error:
        print(f"idtrackerai_background: error: {error}", file=sys.stderr)
        return 2
    print(f"background ({args.stat} of {used} frames) written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
