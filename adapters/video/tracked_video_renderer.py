"""Tracked videos drawn with OpenCV (the TrackedVideoRenderer port): trails, dots and labels, or one tile per animal.

The general video fades each identity's last ``trail`` positions from the background's gray to its colour
(anti-aliased, 2 px) and marks the current one with a 6 px dot and its label; frames larger than
1920 x 1080 are scaled to fit. Individual videos crop a square of the tile side around each
animal (zero-padded at the borders) and lay all of them in a labelled grid. XVID AVI like
idtracker.ai, MJPG where the OpenCV build has no XVID encoder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from idtracker.application.ports import VideoSource
from idtracker.application.tracked_video import Drawing
from idtracker.domain.identity_colors import grid_shape

#: Largest output frame; bigger videos are scaled down to fit (aspect kept).
MAX_SIZE = (1920, 1080)
DOT_RADIUS = 6
TRAIL_WIDTH = 2
#: Grid padding around each tile: sides, top (for the label) and bottom, px.
PAD_SIDE, PAD_TOP, PAD_BOTTOM = 10, 30, 10


def _writer(path: Path, fps: float, size: tuple[int, int]) -> cv2.VideoWriter:
    path.parent.mkdir(parents=True, exist_ok=True)
    for codec in ("XVID", "MJPG"):
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, size, isColor=True)
        if writer.isOpened():
            return writer
    raise OSError(f"cannot open a video writer for {path}")


def _scale(width: int, height: int) -> float:
    return min(1.0, MAX_SIZE[0] / width, MAX_SIZE[1] / height)


def _frames(video: VideoSource, drawing: Drawing):
    """(t, BGR frame) for the drawing's frames; an unreadable frame is drawn black."""
    for t, gray in video.read_gray(drawing.frames.start, drawing.frames.stop):
        if gray is None:
            gray = np.zeros((video.height, video.width), np.uint8)
        yield t, cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)


def _draw(frame: np.ndarray, drawing: Drawing, t: int, scale: float) -> np.ndarray:
    """Trails, dots and labels of every identity at frame t, on a copy scaled by ``scale``."""
    if scale != 1.0:
        frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    positions = drawing.trajectories[max(0, t - drawing.options.trail):t + 1] * scale
    overlay = frame.copy()
    background = float(frame.mean())
    for k, colour in enumerate(drawing.colours.tolist()):
        track = positions[:, k]
        for age, (a, b) in enumerate(zip(track[:-1], track[1:])):
            if np.isfinite(a).all() and np.isfinite(b).all():
                alpha = (age + 1) / len(track)  # older segments fade into the background's brightness
                shade = tuple(int(c * alpha + background * (1 - alpha)) for c in colour)
                cv2.line(overlay, tuple(np.round(a).astype(int)), tuple(np.round(b).astype(int)), shade, TRAIL_WIDTH,
                         cv2.LINE_AA)
        here = track[-1]
        if np.isfinite(here).all():
            centre = tuple(np.round(here).astype(int))
            cv2.circle(overlay, centre, DOT_RADIUS, colour, -1, cv2.LINE_AA)
            if drawing.options.labels:
                cv2.putText(overlay, drawing.labels[k], (centre[0] + 8, centre[1] - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.8,
                            colour, 2, cv2.LINE_AA)
    return cv2.cvtColor(cv2.cvtColor(overlay, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR) if drawing.options.gray \
        else overlay


def _crop(frame: np.ndarray, centre: np.ndarray, side: int) -> np.ndarray:
    """side x side crop centred on ``centre``, zero-padded where it leaves the frame; black if no position."""
    tile = np.zeros((side, side, 3), np.uint8)
    if not np.isfinite(centre).all():
        return tile
    x0, y0 = int(round(centre[0])) - side // 2, int(round(centre[1])) - side // 2
    h, w = frame.shape[:2]
    xa, ya, xb, yb = max(0, x0), max(0, y0), min(w, x0 + side), min(h, y0 + side)
    if xa < xb and ya < yb:
        tile[ya - y0:yb - y0, xa - x0:xb - x0] = frame[ya:yb, xa:xb]
    return tile


class OpenCvTrackedVideoRenderer:
    """Implements the TrackedVideoRenderer port."""

    def general(self, video: VideoSource, drawing: Drawing, path: Path, advance: Callable[[int], None]) -> Path:
        scale = _scale(video.width, video.height)
        size = (int(round(video.width * scale)), int(round(video.height * scale)))
        tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
        writer = _writer(tmp, drawing.frames_per_second, size)
        try:
            for t, frame in _frames(video, drawing):
                writer.write(_draw(frame, drawing, t, scale))
                advance(1)
        finally:
            writer.release()
        tmp.replace(path)
        return path

    def individual(self, video: VideoSource, drawing: Drawing, folder: Path,
                   advance: Callable[[int], None]) -> list[Path]:
        n, side = drawing.trajectories.shape[1], drawing.tile
        rows, cols = grid_shape(n)
        cell_w, cell_h = side + 2 * PAD_SIDE, side + PAD_TOP + PAD_BOTTOM
        paths = [folder / f"individual_{k + 1}.avi" for k in range(n)] + [folder / "general.avi"]
        tmps = [p.with_name(f".{p.stem}.tmp{p.suffix}") for p in paths]
        writers = [_writer(p, drawing.frames_per_second, (side, side)) for p in tmps[:-1]]
        writers.append(_writer(tmps[-1], drawing.frames_per_second, (cols * cell_w, rows * cell_h)))
        try:
            for t, frame in _frames(video, drawing):
                if drawing.options.gray:
                    frame = cv2.cvtColor(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
                grid = np.zeros((rows * cell_h, cols * cell_w, 3), np.uint8)
                for k in range(n):
                    tile = _crop(frame, drawing.trajectories[t, k], side)
                    writers[k].write(tile)
                    r, c = divmod(k, cols)
                    y, x = r * cell_h + PAD_TOP, c * cell_w + PAD_SIDE
                    grid[y:y + side, x:x + side] = tile
                    if drawing.options.labels:
                        cv2.putText(grid, drawing.labels[k], (x, y - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                                    (255, 255, 255), 1, cv2.LINE_AA)
                writers[-1].write(grid)
                advance(1)
        finally:
            for writer in writers:
                writer.release()
        for tmp, path in zip(tmps, paths):
            tmp.replace(path)
        return paths
