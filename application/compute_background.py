"""Computing the background image: a per-pixel statistic over frames sampled across the video.

Used by tracking (``use_bkg``) and by ``idtrackerai_background``, whose PNG can be given back as
``background_subtraction_stat`` to skip the computation next time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from .errors import Cancelled, UserError
from .ports import ImageTools, VideoSource

STATS = ("median", "mean", "max", "min")


#: Called after each sampled frame with (frames read, frames to read); returning False cancels.
Progress = Callable[[int, int], bool]


def sample_frames(video: VideoSource, intervals: list[tuple[int, int]], count: int,
                  progress: Progress | None = None) -> list[np.ndarray]:
    """``count`` gray frames evenly spaced over the tracked frames (unreadable ones dropped).

    Raises:
        Cancelled: ``progress`` returned False.
    """
    tracked = np.concatenate([np.arange(a, b) for a, b in intervals])
    picks = np.unique(tracked[np.linspace(0, len(tracked) - 1, min(count, len(tracked))).round().astype(int)])
    frames = []
    for k, f in enumerate(picks):
        for _, gray in video.read_gray(int(f), int(f) + 1):
            if gray is not None:
                frames.append(gray)
        if progress is not None and not progress(k + 1, len(picks)):
            raise Cancelled("background computation cancelled")
    return frames


def background_image(video: VideoSource, images: ImageTools, stat: str, count: int,
                     intervals: list[tuple[int, int]], progress: Progress | None = None) -> tuple[np.ndarray, int]:
    """The background for ``stat`` (a statistic name or a PNG path) and how many frames built it;
    ``progress`` (apps) sees each sampled frame and may cancel."""
    if stat in STATS:
        frames = sample_frames(video, intervals, count, progress)
        return images.background(frames, stat), len(frames)
    background = images.read_gray_image(Path(stat))
    if background.shape != (video.height, video.width):
        raise UserError(f"background_subtraction_stat: image {stat} is {background.shape[1]}x{background.shape[0]} px, "
                        f"the video is {video.width}x{video.height} px")
    return background, 0
