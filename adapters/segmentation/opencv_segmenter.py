"""Threshold segmentation with OpenCV: frames -> blobs, links and bounding-box crops.

Matches idtracker.ai's definitions so user thresholds keep their meaning: foreground is
``lo <= gray <= hi`` (or ``|background - gray| > threshold`` with a background), only external
contours count, a blob's area is its contour's polygon area and its centroid the contour's
moments.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import cv2
import numpy as np
from idtracker.adapters.storage.bbox_images import write_bbox_images
from idtracker.adapters.video.opencv_video import OpenCvVideoSource
from idtracker.application.segmentation import BorderFrame, EpisodeBlobs, SegmenterSpec
from idtracker.domain.blobs import BlobTable
from idtracker.domain.episodes import Episode
from idtracker.domain.linking import overlapping_pairs


def foreground_threshold(intensity_ths: tuple[float, float]) -> float:
    """Background-difference threshold: the first value, or the second when the first is 0."""
    lo, hi = intensity_ths
    return float(hi if lo == 0 else lo)

@attrs.frozen
class FrameBlobs:
    """Blobs of one frame before they join the episode table."""

    centroids: np.ndarray
    areas: np.ndarray
    boxes: np.ndarray
    contours: list[np.ndarray]
    masks: list[np.ndarray]
    crops: list[np.ndarray]

@attrs.frozen
class FrameSegmenter:
    """Turns one gray frame into blobs with the session's thresholds, ROI and background."""

    intensity_ths: tuple[float, float]
    area_ths: tuple[float, float]
    roi_mask: np.ndarray | None = None
    background: np.ndarray | None = None

    def foreground(self, gray: np.ndarray) -> np.ndarray:
        """uint8 mask, 255 on animal pixels."""
        if self.background is None:
            mask = cv2.inRange(gray, float(self.intensity_ths[0]), float(self.intensity_ths[1]))
        else:
            diff = cv2.absdiff(gray, self.background)
            _, mask = cv2.threshold(diff, foreground_threshold(self.intensity_ths), 255, cv2.THRESH_BINARY)
        if self.roi_mask is not None:
            cv2.bitwise_and(mask, self.roi_mask, dst=mask)
        return mask

    def __call__(self, gray: np.ndarray) -> FrameBlobs:
        approx = cv2.CHAIN_APPROX_SIMPLE if self.area_ths[0] < 35 else cv2.CHAIN_APPROX_TC89_KCOS
        contours, _ = cv2.findContours(self.foreground(gray), cv2.RETR_EXTERNAL, approx)
        lo, hi = self.area_ths
        kept = [(c, a) for c in contours if lo <= (a := cv2.contourArea(c)) <= hi]
        centroids = np.zeros((len(kept), 2))
        boxes = np.zeros((len(kept), 4), np.int32)
        masks, crops = [], []
        for i, (c, _) in enumerate(kept):
            centroids[i] = _centroid(c)
            x, y, w, h = cv2.boundingRect(c)
            boxes[i] = (x, y, w, h)
            mask = np.zeros((h, w), np.uint8)
            cv2.drawContours(mask, [c], -1, 1, thickness=cv2.FILLED, offset=(-x, -y))
            masks.append(mask.view(bool))
            crops.append(gray[y:y + h, x:x + w].copy())  # a view would keep the whole frame alive
        return FrameBlobs(centroids, np.array([a for _, a in kept], np.float64), boxes,
                          [c.reshape(-1, 2) for c, _ in kept], masks, crops)

def _centroid(contour: np.ndarray) -> tuple[float, float]:
    m = cv2.moments(contour)
    if m["m00"] == 0:
        return tuple(contour.reshape(-1, 2).mean(0))
    return m["m10"] / m["m00"], m["m01"] / m["m00"]

@attrs.frozen
class OpenCvEpisodeSegmenter:
    """Segments an episode in a worker: decode once, segment, link, store crops.

    Attributes:
        video_paths: the session's videos (opened again inside the worker).
        frame_segmenter: per-frame segmentation.
        bbox_folder: where crops are written (one HDF5 file per episode); None keeps them in RAM.
    """

    video_paths: tuple[Path, ...]
    frame_segmenter: FrameSegmenter
    bbox_folder: Path | None

    def __call__(self, episode: Episode) -> EpisodeBlobs:
        cv2.setNumThreads(1)  # parallelism comes from episodes; OpenCV threads would oversubscribe
        video = OpenCvVideoSource(list(self.video_paths))
        per_frame: list[tuple[int, FrameBlobs]] = []
        unreadable: list[int] = []
        links: list[np.ndarray] = []
        prev: FrameBlobs | None = None
        offset = 0
        for frame, gray in video.read_gray(episode.start, episode.stop):
            if gray is None:
                unreadable.append(frame)
                prev = None
                continue
            blobs = self.frame_segmenter(gray)
            if prev is not None and len(blobs.areas) and len(prev.areas):
                pairs = overlapping_pairs(prev.boxes, prev.masks, blobs.boxes, blobs.masks)
                links.append(pairs + [offset - len(prev.areas), offset])
            per_frame.append((frame, blobs))
            offset += len(blobs.areas)
            prev = blobs
        return EpisodeBlobs(
            episode=episode,
            blobs=_table(per_frame),
            links=np.concatenate(links).astype(np.int64) if links else np.zeros((0, 2), np.int64),
            head=_border(per_frame, episode.start),
            tail=_border(per_frame, episode.stop - 1),
            bbox_images=self._store_crops(episode, per_frame),
            unreadable_frames=tuple(unreadable),
        )

    def _store_crops(self, episode: Episode, per_frame: list[tuple[int, FrameBlobs]]):
        crops = [c for _, b in per_frame for c in b.crops]
        sizes = np.array([c.size for c in crops], np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        pixels = np.concatenate([c.ravel() for c in crops]) if crops else np.zeros(0, np.uint8)
        if self.bbox_folder is None:
            return pixels, offsets
        return write_bbox_images(self.bbox_folder / f"bbox_images_{episode.index}.h5", pixels, offsets)

def _table(per_frame: list[tuple[int, FrameBlobs]]) -> BlobTable:
    if not per_frame:
        return BlobTable.empty()
    counts = [len(b.areas) for _, b in per_frame]
    contours = [c for _, b in per_frame for c in b.contours]
    lengths = np.array([len(c) for c in contours], np.int64)
    return BlobTable(
        frame=np.repeat([f for f, _ in per_frame], counts).astype(np.int64),
        centroid=np.concatenate([b.centroids for _, b in per_frame]).reshape(-1, 2),
        area=np.concatenate([b.areas for _, b in per_frame]),
        bbox=np.concatenate([b.boxes for _, b in per_frame]).reshape(-1, 4),
        contour_points=np.concatenate(contours).astype(np.int32) if contours else np.zeros((0, 2), np.int32),
        contour_offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
    )

def _border(per_frame: list[tuple[int, FrameBlobs]], frame: int) -> BorderFrame:
    for f, blobs in per_frame:
        if f == frame:
            return BorderFrame(frame, blobs.boxes, blobs.masks)
    return BorderFrame(frame, np.zeros((0, 4), np.int32), [])

def segmenter_from_spec(spec: SegmenterSpec) -> OpenCvEpisodeSegmenter:
    """Build the picklable episode segmenter the tracking use case asks for."""
    frame_segmenter = FrameSegmenter(spec.intensity_ths, spec.area_ths, spec.roi_mask, spec.background)
    return OpenCvEpisodeSegmenter(spec.video_paths, frame_segmenter, spec.bbox_folder)
