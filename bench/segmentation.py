"""Segmentation throughput on test_A: decoding alone vs full segmentation with 1 and 2 workers.

Usage: python bench/segmentation.py [VIDEO] [--repeats 3] [--frames_per_episode 500]

Prints frames/s for (a) decoding every frame on one core (OpenCV limited to one thread, the
baseline a worker has), (b) the whole segmentation stage (decode, threshold, contours, overlap
links, crops kept in RAM, stitching) with 1 and 2 worker processes, and the ratio of (b, 2
workers) to (a). Target: >= 0.70.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import cv2
from idtracker.adapters.segmentation.opencv_segmenter import segmenter_from_spec
from idtracker.adapters.video.opencv_video import OpenCvVideoSource
from idtracker.application.segmentation import SegmenterSpec, parallel_map, stitch
from idtracker.domain.episodes import normalise_intervals, plan_episodes

DEFAULT_VIDEO = Path(__file__).resolve().parents[2] / "shared" / "data" / "test_A.avi"


def decode_only(path: Path) -> float:
    """Frames/s decoding every frame to BGR on one thread."""
    cv2.setNumThreads(1)
    cap = cv2.VideoCapture(str(path))
    t0 = time.perf_counter()
    n = 0
    while cap.read()[0]:
        n += 1
    return n / (time.perf_counter() - t0)


def segmentation(path: Path, workers: int, frames_per_episode: int) -> tuple[float, int]:
    """Frames/s of the segmentation stage and the number of blobs found."""
    video = OpenCvVideoSource([path])
    episodes = plan_episodes(video.file_boundaries, normalise_intervals(None, video.number_of_frames), frames_per_episode)
    spec = SegmenterSpec((path,), (0.0, 130.0), (150.0, float("inf")), None, None, None)
    segmenter = segmenter_from_spec(spec)
    t0 = time.perf_counter()
    result = stitch(list(parallel_map(segmenter, episodes, workers)))
    return video.number_of_frames / (time.perf_counter() - t0), len(result.blobs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", nargs="?", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--frames_per_episode", type=int, default=500)
    args = parser.parse_args()
    decode = statistics.median(decode_only(args.video) for _ in range(args.repeats))
    print(f"video: {args.video.name}")
    print(f"decode only, 1 core          : {decode:8.1f} frames/s")
    results = {}
    for workers in (1, 2):
        runs = [segmentation(args.video, workers, args.frames_per_episode) for _ in range(args.repeats)]
        results[workers] = statistics.median(r[0] for r in runs)
        print(f"segmentation, {workers} worker{'s' if workers > 1 else ' '}      : {results[workers]:8.1f} frames/s "
              f"({runs[0][1]} blobs)")
    print(f"2 workers / decode-only      : {results[2] / decode:8.2f} (target >= 0.70)")


if __name__ == "__main__":
    main()
