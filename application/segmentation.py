"""Segmenting a video into blobs, episode by episode, in parallel worker processes.

Each worker decodes its episode once and returns the blobs, the overlap links between its
consecutive frames, and the masks of its first and last frames; the parent stitches episodes by
linking those border frames. Nothing is decoded twice.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Protocol, TypeVar

import attrs
import numpy as np
from idtracker.domain.blobs import BlobTable
from idtracker.domain.episodes import Episode
from idtracker.domain.linking import overlapping_pairs

T = TypeVar("T")
R = TypeVar("R")


@attrs.frozen
class BorderFrame:
    """Blobs of one frame at an episode border, enough to link across the border.

    Attributes:
        frame: global frame number.
        boxes: (n, 4) int32 (x, y, w, h).
        masks: per blob, a (h, w) bool filled-contour mask.
    """

    frame: int
    boxes: np.ndarray
    masks: list[np.ndarray]


@attrs.frozen
class EpisodeBlobs:
    """What segmenting one episode produced.

    Attributes:
        episode: the episode.
        blobs: its blobs, frame-sorted, with global frame numbers.
        links: (k, 2) int64 overlap links (previous, next) as indices into ``blobs``.
        head, tail: the blobs of the episode's first and last frames, for stitching.
        bbox_images: where the bounding-box crops went: a file path, or in-RAM (pixels, offsets).
        unreadable_frames: global frames the decoder could not deliver.
    """

    episode: Episode
    blobs: BlobTable
    links: np.ndarray
    head: BorderFrame
    tail: BorderFrame
    bbox_images: Path | tuple[np.ndarray, np.ndarray] | None
    unreadable_frames: tuple[int, ...]


@attrs.frozen
class SegmenterSpec:
    """What a segmenter needs to be built (in the parent, then pickled to workers)."""

    video_paths: tuple[Path, ...]
    intensity_ths: tuple[float, float]
    area_ths: tuple[float, float]
    roi_mask: np.ndarray | None
    background: np.ndarray | None
    bbox_folder: Path | None


class EpisodeSegmenter(Protocol):
    """Segments one episode; must be picklable so worker processes can run it."""

    def __call__(self, episode: Episode) -> EpisodeBlobs: ...


@attrs.frozen
class SegmentedVideo:
    """All blobs of the session and their overlap links (indices into ``blobs``)."""

    blobs: BlobTable
    links: np.ndarray
    bbox_images: list[Path | tuple[np.ndarray, np.ndarray] | None]
    bbox_first_blob: np.ndarray
    unreadable_frames: tuple[int, ...]


def number_of_workers(requested: int, cpus: int | None = None) -> int:
    """The seed's rule: 0 -> half the CPUs (at most 4), negative k -> CPUs + k, positive as given."""
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    if requested > 0:
        return requested
    if requested == 0:
        return max(1, min((cpus + 1) // 2, 4))
    return max(1, cpus + requested)


class EpisodeRunner(Protocol):
    """Runs one function over many episodes (processes here, or Dask tasks), results as they complete."""

    workers: int

    def map(self, fn: Callable[[T], R], items: list[T]) -> Iterator[R]: ...

    def close(self) -> None: ...


@attrs.frozen
class ProcessRunner:
    """Episodes in ``workers`` local processes (the default without dask_scheduler)."""

    workers: int

    def map(self, fn: Callable[[T], R], items: list[T]) -> Iterator[R]:
        return parallel_map(fn, items, self.workers)

    def close(self) -> None:
        """Nothing to release: each map's pool ends with it."""


def as_runner(workers: int | EpisodeRunner) -> EpisodeRunner:
    """A runner from a number of local workers, or the runner given."""
    return ProcessRunner(workers) if isinstance(workers, int) else workers


def parallel_map(fn: Callable[[T], R], items: list[T], workers: int) -> Iterator[R]:
    """Apply ``fn`` to items in ``workers`` processes, yielding results as they complete.

    Linux forks (fast start, no re-import); other systems spawn. One worker runs in-process.
    """
    if workers <= 1 or len(items) <= 1:
        yield from map(fn, items)
        return
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    ctx = multiprocessing.get_context(method)
    pool = ProcessPoolExecutor(max_workers=min(workers, len(items)), mp_context=ctx)
    try:
        futures = [pool.submit(fn, item) for item in items]
        for future in as_completed(futures):
            yield future.result()
    finally:  # also when the caller stops early (a cancel): queued episodes are dropped, not run
        pool.shutdown(wait=True, cancel_futures=True)


def stitch(results: list[EpisodeBlobs]) -> SegmentedVideo:
    """Join episode results in time order and link blobs across consecutive episode borders."""
    results = sorted(results, key=lambda r: r.episode.start)
    sizes = np.array([len(r.blobs) for r in results], np.int64)
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    links = [r.links + s for r, s in zip(results, first)]
    for k in range(len(results) - 1):
        prev, cur = results[k], results[k + 1]
        if prev.episode.stop != cur.episode.start:
            continue
        pairs = overlapping_pairs(prev.tail.boxes, prev.tail.masks, cur.head.boxes, cur.head.masks)
        if len(pairs):
            tail_first = first[k] + sizes[k] - len(prev.tail.boxes)
            links.append(np.column_stack([pairs[:, 0] + tail_first, pairs[:, 1] + first[k + 1]]))
    all_links = np.concatenate(links) if links else np.zeros((0, 2), np.int64)
    all_links = all_links[np.lexsort((all_links[:, 1], all_links[:, 0]))] if len(all_links) else all_links
    unreadable = tuple(f for r in results for f in r.unreadable_frames)
    return SegmentedVideo(BlobTable.concatenate([r.blobs for r in results]), all_links.astype(np.int64),
                          [r.bbox_images for r in results], first, unreadable)
