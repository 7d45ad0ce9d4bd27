"""Linking blobs of consecutive frames by exact pixel overlap.

Two blobs in frames t and t+1 are linked when their filled masks share at least one pixel. Only
pairs whose bounding boxes intersect are compared, and only on that intersection, so the cost is
proportional to the overlapping area, not to the frame size.
"""

from __future__ import annotations

import numpy as np


def bbox_intersections(prev_boxes: np.ndarray, cur_boxes: np.ndarray) -> np.ndarray:
    """(k, 2) int64 index pairs (prev, cur) whose (x, y, w, h) boxes intersect."""
    if len(prev_boxes) == 0 or len(cur_boxes) == 0:
        return np.zeros((0, 2), np.int64)
    p = prev_boxes[:, None, :].astype(np.int64)
    c = cur_boxes[None, :, :].astype(np.int64)
    hit = (
        (p[..., 0] < c[..., 0] + c[..., 2]) & (c[..., 0] < p[..., 0] + p[..., 2])
        & (p[..., 1] < c[..., 1] + c[..., 3]) & (c[..., 1] < p[..., 1] + p[..., 3])
    )
    return np.argwhere(hit)


def masks_overlap(box_a: np.ndarray, mask_a: np.ndarray, box_b: np.ndarray, mask_b: np.ndarray) -> bool:
    """True if two bbox-local boolean masks share a pixel in image coordinates."""
    x0, y0 = max(box_a[0], box_b[0]), max(box_a[1], box_b[1])
    x1 = min(box_a[0] + box_a[2], box_b[0] + box_b[2])
    y1 = min(box_a[1] + box_a[3], box_b[1] + box_b[3])
    if x0 >= x1 or y0 >= y1:
        return False
    a = mask_a[y0 - box_a[1]:y1 - box_a[1], x0 - box_a[0]:x1 - box_a[0]]
    b = mask_b[y0 - box_b[1]:y1 - box_b[1], x0 - box_b[0]:x1 - box_b[0]]
    return bool(np.any(a & b))


def overlapping_pairs(prev_boxes: np.ndarray, prev_masks: list[np.ndarray],
                      cur_boxes: np.ndarray, cur_masks: list[np.ndarray]) -> np.ndarray:
    """(k, 2) int64 local index pairs (prev, cur) of blobs whose masks overlap.

    Args:
        prev_boxes, cur_boxes: (n, 4) int (x, y, w, h) bounding boxes.
        prev_masks, cur_masks: per blob, a (h, w) bool mask of its filled contour.
    """
    candidates = bbox_intersections(prev_boxes, cur_boxes)
    keep = [masks_overlap(prev_boxes[i], prev_masks[i], cur_boxes[j], cur_masks[j]) for i, j in candidates]
    return candidates[np.asarray(keep, bool)] if len(candidates) else candidates


def link_counts(links: np.ndarray, number_of_blobs: int) -> tuple[np.ndarray, np.ndarray]:
    """Number of previous and next neighbours of every blob from (k, 2) (prev, next) links."""
    n_next = np.bincount(links[:, 0], minlength=number_of_blobs) if len(links) else np.zeros(number_of_blobs, np.int64)
    n_prev = np.bincount(links[:, 1], minlength=number_of_blobs) if len(links) else np.zeros(number_of_blobs, np.int64)
    return n_prev, n_next
