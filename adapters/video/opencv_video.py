"""OpenCV video source: several files read as one continuous timeline of gray frames."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from idtracker.application.errors import UserError


def _probe(path: Path) -> tuple[int, int, float, int]:
    """(width, height, fps, frame count) of one file, after checking a frame can be decoded."""
    if not path.exists():
        raise UserError(f"video_paths: file not found: {path}")
    if path.is_dir():
        raise UserError(f"video_paths: {path} is a folder; give the video files themselves")
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened() or not cap.grab():
            raise UserError(f"video_paths: cannot read video {path} (not a video file or codec not supported by OpenCV)")
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        cap.release()
    if count <= 0:
        raise UserError(f"video_paths: {path} reports no frames")
    return width, height, fps, count


def to_gray(frame: np.ndarray) -> np.ndarray:
    """uint8 (H, W) gray image from a decoded frame (BGR or already gray)."""
    return frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


class OpenCvVideoSource:
    """Reads frames from one or more files of equal resolution as a single timeline.

    Frame counts come from the container; frames it promises but cannot decode are reported as
    None (the tracker treats them as empty), never as an error.
    """

    def __init__(self, paths: list[Path]):
        if not paths:
            raise UserError("video_paths: no video given; set video_paths to one or more video files")
        self.paths = [Path(p).expanduser().resolve() for p in paths]
        probes = [_probe(p) for p in self.paths]
        sizes = {(w, h) for w, h, _, _ in probes}
        if len(sizes) > 1:
            raise UserError(f"video_paths: all videos must share one resolution, got {sorted(sizes)}")
        (self._width, self._height), = sizes
        self._fps = float(np.mean([f for _, _, f, _ in probes]))
        self._boundaries = [0] + list(np.cumsum([c for _, _, _, c in probes]).tolist())

    @property
    def number_of_frames(self) -> int:
        return self._boundaries[-1]

    @property
    def width(self) -> int:
        return self._width

    @property
    def height(self) -> int:
        return self._height

    @property
    def frames_per_second(self) -> float:
        return self._fps

    @property
    def file_boundaries(self) -> list[int]:
        return list(self._boundaries)

    def read_gray(self, start: int, stop: int) -> Iterator[tuple[int, np.ndarray | None]]:
        """Yield (global frame, gray frame or None) for [start, stop), crossing files if needed."""
        frame = start
        while frame < stop:
            file_index = int(np.searchsorted(self._boundaries, frame, side="right") - 1)
            file_stop = min(stop, self._boundaries[file_index + 1])
            local = frame - self._boundaries[file_index]
            for i, image in enumerate(self._read_file(file_index, local, local + file_stop - frame)):
                yield frame + i, image
            frame = file_stop

    def _read_file(self, file_index: int, start: int, stop: int) -> Iterator[np.ndarray | None]:
        cap = cv2.VideoCapture(str(self.paths[file_index]))
        try:
            _seek(cap, start)
            for _ in range(start, stop):
                ok, image = cap.read()
                yield to_gray(image) if ok else None
        finally:
            cap.release()


def _seek(cap: cv2.VideoCapture, frame: int) -> None:
    """Position ``cap`` on ``frame``; decode forward from the start if the seek lands elsewhere."""
    if frame == 0:
        return
    cap.set(cv2.CAP_PROP_POS_FRAMES, frame)
    if int(cap.get(cv2.CAP_PROP_POS_FRAMES)) == frame:
        return
    cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
    for _ in range(frame):
        if not cap.grab():
            break
