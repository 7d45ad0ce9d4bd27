"""Identification images: square crops centred on each blob, turned to one canonical pose.

Each animal is masked (its filled contour, dilated by one pixel so the outline is kept), centred
on its pixels' centroid and rotated so its long axis lies horizontally. The 180-degree ambiguity
of an axis is settled by the third moment of the mask along it (the heavier, shorter end on one
side), so the network sees most animals head-first the same way instead of learning both.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import attrs
import cv2
import h5py
import numpy as np
from idtracker.adapters.storage.bbox_images import read_bbox_images
from idtracker.application.segmentation import EpisodeRunner, SegmentedVideo, as_runner

_DILATE = np.ones((3, 3), np.uint8)


def canonical_pose(mask: np.ndarray) -> tuple[float, float, float]:
    """(cx, cy, angle in radians) of a bool mask; the angle points along the long axis.

    The sign of the axis is chosen so the mask's third moment along it is positive.
    """
    ys, xs = np.nonzero(mask)
    cx, cy = xs.mean(), ys.mean()
    dx, dy = xs - cx, ys - cy
    mu20, mu02, mu11 = (dx * dx).mean(), (dy * dy).mean(), (dx * dy).mean()
    angle = 0.5 * math.atan2(2 * mu11, mu20 - mu02)
    along = dx * math.cos(angle) + dy * math.sin(angle)
    if (along ** 3).sum() < 0:
        angle += math.pi
    return float(cx), float(cy), angle


def identification_image(crop: np.ndarray, contour: np.ndarray, size: int, scale: float) -> np.ndarray:
    """uint8 (size, size) image of one blob.

    Args:
        crop: uint8 (h, w) gray bounding-box crop of the blob.
        contour: (k, 2) int contour vertices in crop coordinates.
        size: side of the output image.
        scale: resolution reduction (1 keeps pixels at their size).
    """
    mask = np.zeros(crop.shape, np.uint8)
    cv2.drawContours(mask, [contour.reshape(-1, 1, 2).astype(np.int32)], -1, 1, thickness=cv2.FILLED)
    mask = cv2.dilate(mask, _DILATE)
    cx, cy, angle = canonical_pose(mask.astype(bool))
    angle -= math.pi / 4  # along the diagonal, where a side of body_length/sqrt(2) fits the whole body
    c, s = scale * math.cos(angle), scale * math.sin(angle)
    half = (size - 1) / 2
    matrix = np.array([[c, s, half - (c * cx + s * cy)], [-s, c, half - (-s * cx + c * cy)]])
    return cv2.warpAffine(crop * mask, matrix, (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


@attrs.frozen
class EpisodeCrops:
    """The bounding-box crops of one episode's blobs and the blobs' geometry.

    Attributes:
        source: the crops file, or in-RAM (pixels, offsets).
        bbox: (n, 4) int (x, y, w, h) of the episode's blobs.
        contours: per blob, (k, 2) int32 contour in image coordinates.
    """

    source: Path | tuple[np.ndarray, np.ndarray]
    bbox: np.ndarray
    contours: list[np.ndarray]


@attrs.frozen
class IdImageMaker:
    """Builds the identification images of one episode (picklable, for worker processes)."""

    size: int
    scale: float

    def __call__(self, episode: EpisodeCrops) -> np.ndarray:
        cv2.setNumThreads(1)
        pixels, offsets = read_bbox_images(episode.source) if isinstance(episode.source, Path) else episode.source
        out = np.zeros((len(episode.bbox), self.size, self.size), np.uint8)
        for i, (x, y, w, h) in enumerate(episode.bbox):
            crop = pixels[offsets[i]:offsets[i + 1]].reshape(h, w)
            out[i] = identification_image(crop, episode.contours[i] - (x, y), self.size, self.scale)
        return out


class OpenCvIdentificationImages:
    """Implements the IdentificationImages port: one worker task per episode."""

    def build(self, segmented: SegmentedVideo, size: int, scale: float, workers: int | EpisodeRunner,
              folder: Path | None) -> np.ndarray:
        blobs = segmented.blobs
        tasks = []
        bounds = list(segmented.bbox_first_blob) + [len(blobs)]
        for k, source in enumerate(segmented.bbox_images):
            a, b = int(bounds[k]), int(bounds[k + 1])
            tasks.append(EpisodeCrops(source, blobs.bbox[a:b], [blobs.contour(i) for i in range(a, b)]))
        maker = IdImageMaker(size, scale)
        images = list(as_runner(workers).map(maker, tasks)) if tasks else []
        if folder is not None:
            for k, episode_images in enumerate(images):
                write_id_images(folder / f"id_images_{k}.h5", episode_images)
        return np.concatenate(images) if images else np.zeros((0, size, size), np.uint8)


def write_id_images(path: Path, images: np.ndarray) -> Path:
    """One episode's identification images as dataset ``id_images`` (gzip), written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with h5py.File(tmp, "w") as f:
        f.create_dataset("id_images", data=images, compression="gzip", compression_opts=1)
    os.replace(tmp, path)
    return path
