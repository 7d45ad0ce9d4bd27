"""Slicing the tracked frames into episodes: the unit of parallel work.

An episode never spans two video files nor leaves a tracking interval, so a worker opens one file,
seeks once and decodes forward.
"""

from __future__ import annotations

import attrs
import numpy as np


@attrs.frozen
class Episode:
    """A run of frames [start, stop) of the global timeline, all inside one video file.

    Attributes:
        index: position of the episode in the session (0-based).
        start: first global frame.
        stop: global frame after the last one.
        file_index: which video file holds the frames.
        local_start: frame number of ``start`` inside that file.
    """

    index: int
    start: int
    stop: int
    file_index: int
    local_start: int

    @property
    def length(self) -> int:
        return self.stop - self.start


def normalise_intervals(intervals: list[tuple[int, int]] | None, number_of_frames: int) -> list[tuple[int, int]]:
    """Tracking intervals clipped to the video, sorted and merged; the whole video when None."""
    if not intervals:
        return [(0, number_of_frames)]
    clipped = sorted((max(0, int(a)), min(number_of_frames, int(b))) for a, b in intervals)
    merged: list[tuple[int, int]] = []
    for a, b in clipped:
        if a >= b:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def plan_episodes(file_boundaries: list[int], intervals: list[tuple[int, int]], frames_per_episode: int) -> list[Episode]:
    """Cut the tracked frames into nearly equal episodes of at most ``frames_per_episode`` frames.

    Args:
        file_boundaries: global index of each file's first frame, plus the total frame count.
        intervals: normalised tracking intervals (see :func:`normalise_intervals`).
        frames_per_episode: the maximum episode length.
    """
    cuts = sorted(set(file_boundaries) | {x for iv in intervals for x in iv})
    episodes: list[Episode] = []
    for seg_start, seg_stop in zip(cuts[:-1], cuts[1:]):
        if not any(a <= seg_start < b for a, b in intervals):
            continue
        parts = (seg_stop - seg_start) // (frames_per_episode + 1) + 1
        edges = np.linspace(seg_start, seg_stop, parts + 1).round().astype(int)
        file_index = int(np.searchsorted(file_boundaries, seg_start, side="right") - 1)
        for a, b in zip(edges[:-1], edges[1:]):
            episodes.append(Episode(len(episodes), int(a), int(b), file_index, int(a - file_boundaries[file_index])))
    return episodes


def tracked_frames_mask(intervals: list[tuple[int, int]], number_of_frames: int) -> np.ndarray:
    """(number_of_frames,) bool: True for frames inside a tracking interval."""
    mask = np.zeros(number_of_frames, bool)
    for a, b in intervals:
        mask[a:b] = True
    return mask
