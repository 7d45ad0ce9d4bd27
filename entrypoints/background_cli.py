"""``idtrackerai_background``: compute a video's background once and save it as a PNG.

The PNG can then be given as ``background_subtraction_stat`` so tracking skips the computation.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from idtracker.adapters.segmentation.opencv_image_tools import OpenCvImageTools
from idtracker.adapters.video.opencv_video import OpenCvVideoSource
from idtracker.application.compute_background import STATS, background_image
from idtracker.application.errors import UserError
from idtracker.domain.episodes import normalise_intervals


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="idtrackerai_background",
        description="Compute the background of a video (a per-pixel statistic over sampled frames) and save it as PNG.")
    parser.add_argument("video_paths", nargs="+", type=Path, help="video file(s), read as one timeline")
    parser.add_argument("--background_subtraction_stat", "--stat", default="median", choices=STATS,
                        help="statistic over the sampled frames (default: median)")
    parser.add_argument("--number_of_frames_for_background", "--frames", type=int, default=50,
                        help="number of frames sampled evenly over the video (default: 50)")
    parser.add_argument("--output", "-o", type=Path, default=None,
                        help="PNG path (default: <first video stem>_background.png next to the video)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.number_of_frames_for_background < 1:
            raise UserError("number_of_frames_for_background: must be >= 1")
        video = OpenCvVideoSource(args.video_paths)
        images = OpenCvImageTools()
        background, used = background_image(video, images, args.background_subtraction_stat,
                                            args.number_of_frames_for_background,
                                            normalise_intervals(None, video.number_of_frames))
        output = args.output or args.video_paths[0].with_name(args.video_paths[0].stem + "_background.png")
        images.write_image(output, background)
    except UserError as error:
        print(f"idtrackerai_background: error: {error}", file=sys.stderr)
        return 2
    print(f"background ({args.background_subtraction_stat} of {used} frames) written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
