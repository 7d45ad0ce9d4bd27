"""Exclusive ROIs: separate regions of the ROI, each a closed group of animals (two tanks side by side).

Animals never move between regions, so each region is its own tracking problem: its blobs, the
links between them, its number of animals and its own block of identities. Links that cross from
one region to another are cut (an overlap across a wall is two animals, not one moving).
"""

from __future__ import annotations

import numpy as np

from .blobs import BlobTable


def blob_regions(labels: np.ndarray, blobs: BlobTable) -> np.ndarray:
    """(n,) 0-based region of each blob: the region under its centroid, or, for a bent animal whose
    centroid falls outside every region, the one under its first contour vertex; -1 if neither.

    Args:
        labels: (H, W) int region labels, 0 outside the ROI, 1..R inside.
    """
    height, width = labels.shape
    x = np.clip(np.round(blobs.centroid[:, 0]).astype(np.int64), 0, width - 1)
    y = np.clip(np.round(blobs.centroid[:, 1]).astype(np.int64), 0, height - 1)
    region = labels[y, x].astype(np.int64)
    outside = np.flatnonzero(region == 0)
    if len(outside):
        first = blobs.contour_points[blobs.contour_offsets[outside]]
        region[outside] = labels[np.clip(first[:, 1], 0, height - 1), np.clip(first[:, 0], 0, width - 1)]
    return region - 1


def links_within_regions(links: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The links whose two blobs lie in the same region."""
    return links[region[links[:, 0]] == region[links[:, 1]]] if len(links) else links


def animals_per_region(frame: np.ndarray, region: np.ndarray, individual: np.ndarray, n_regions: int,
                       n_animals: int, number_of_frames: int) -> np.ndarray | None:
    """(R,) animals in each region: the most frequent split of the ``n_animals`` over the regions
    among frames showing all of them apart; None when no frame does (the split is then unknown).
    """
    counts = np.zeros((number_of_frames, n_regions), np.int64)
    inside = individual & (region >= 0)
    np.add.at(counts, (frame[inside], region[inside]), 1)
    crossing_frames = np.unique(frame[~individual])
    complete = counts.sum(1) == n_animals
    complete[crossing_frames] = False
    if not complete.any():
        return None
    splits, times = np.unique(counts[complete], axis=0, return_counts=True)
    return splits[int(np.argmax(times))]


def take_blobs(blobs: BlobTable, index: np.ndarray) -> BlobTable:
    """The blobs at ``index`` (sorted), with their contours, as a table of their own."""
    starts, stops = blobs.contour_offsets[index], blobs.contour_offsets[index + 1]
    lengths = stops - starts
    points = np.concatenate([blobs.contour_points[a:b] for a, b in zip(starts, stops)]) if len(index) else \
        np.zeros((0, 2), np.int32)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return BlobTable(blobs.frame[index], blobs.centroid[index], blobs.area[index], blobs.bbox[index], points, offsets)


def links_of(links: np.ndarray, index: np.ndarray, n_blobs: int) -> np.ndarray:
    """The links between blobs of ``index``, renumbered to positions in ``index``."""
    position = np.full(n_blobs, -1, np.int64)
    position[index] = np.arange(len(index))
    if not len(links):
        return links
    renumbered = position[links]
    return renumbered[(renumbered >= 0).all(1)]
