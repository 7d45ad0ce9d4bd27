"""Blobs: the connected foreground regions found in each frame, held column-wise.

One row per blob, ordered by frame and then by detection order inside the frame. A columnar
table keeps millions of blobs in a few arrays instead of millions of Python objects.
"""

from __future__ import annotations

import attrs
import numpy as np


@attrs.frozen
class BlobTable:
    """Every blob of a session (or of one episode).

    Attributes:
        frame: (n,) int64 global frame number.
        centroid: (n, 2) float64 (x, y) from the contour's moments.
        area: (n,) float64 polygon area of the external contour.
        bbox: (n, 4) int32 (x, y, width, height) of the contour's bounding rectangle.
        contour_points: (m, 2) int32 (x, y) contour vertices of all blobs, concatenated.
        contour_offsets: (n + 1,) int64 start of each blob's vertices in ``contour_points``.
    """

    frame: np.ndarray
    centroid: np.ndarray
    area: np.ndarray
    bbox: np.ndarray
    contour_points: np.ndarray
    contour_offsets: np.ndarray

    @classmethod
    def empty(cls) -> BlobTable:
        return cls(np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros(0), np.zeros((0, 4), np.int32),
                   np.zeros((0, 2), np.int32), np.zeros(1, np.int64))

    @classmethod
    def concatenate(cls, tables: list[BlobTable]) -> BlobTable:
        """Join tables in the given order (episodes in time order)."""
        tables = [t for t in tables if len(t)] or [cls.empty()]
        sizes = np.array([len(t.contour_points) for t in tables])
        shifts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        offsets = np.concatenate([[0]] + [t.contour_offsets[1:] + s for t, s in zip(tables, shifts)])
        return cls(
            np.concatenate([t.frame for t in tables]),
            np.concatenate([t.centroid for t in tables]),
            np.concatenate([t.area for t in tables]),
            np.concatenate([t.bbox for t in tables]),
            np.concatenate([t.contour_points for t in tables]),
            offsets.astype(np.int64),
        )

    def __len__(self) -> int:
        return len(self.frame)

    def contour(self, i: int) -> np.ndarray:
        """(k, 2) int32 contour vertices of blob ``i``."""
        return self.contour_points[self.contour_offsets[i]:self.contour_offsets[i + 1]]

    def counts_per_frame(self, number_of_frames: int) -> np.ndarray:
        """(number_of_frames,) int64 number of blobs in each frame."""
        return np.bincount(self.frame, minlength=number_of_frames)

    def frame_offsets(self, number_of_frames: int) -> np.ndarray:
        """(number_of_frames + 1,) index of the first blob of each frame (blobs are frame-sorted)."""
        return np.concatenate([[0], np.cumsum(self.counts_per_frame(number_of_frames))])

    def extension(self) -> np.ndarray:
        """(n,) float64 diagonal of each contour's bounding box: a body-length proxy."""
        return np.hypot(self.bbox[:, 2] - 1, self.bbox[:, 3] - 1).astype(np.float64)
