"""Fragments: runs of consecutive frames in which one blob is one and the same thing.

A link between a blob and the next one continues a fragment when it is the only link leaving the
first and the only one entering the second, and both blobs are of the same kind (individual or
crossing). Fragment ids are given in order of their first blob, so they are sorted by start frame.
"""

from __future__ import annotations

import attrs
import numpy as np

from .linking import link_counts


@attrs.frozen
class Fragments:
    """The fragments of a session.

    Attributes:
        of_blob: (n_blobs,) int64 fragment id of every blob.
        start: (F,) int64 first frame of each fragment.
        stop: (F,) int64 frame after the last one.
        is_individual: (F,) bool True for single-animal fragments, False for crossings.
        blob_order: (n_blobs,) int64 blob indices grouped by fragment, in frame order.
        offsets: (F + 1,) int64 each fragment's slice of ``blob_order``.
    """

    of_blob: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    is_individual: np.ndarray
    blob_order: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.start)

    @property
    def n_images(self) -> np.ndarray:
        """(F,) number of blobs (identification images) in each fragment."""
        return np.diff(self.offsets)

    @property
    def first_blobs(self) -> np.ndarray:
        """(F,) the first blob of each fragment."""
        return self.blob_order[self.offsets[:-1]]

    @property
    def last_blobs(self) -> np.ndarray:
        """(F,) the last blob of each fragment."""
        return self.blob_order[self.offsets[1:] - 1]

    def blobs(self, fragment: int) -> np.ndarray:
        """Blob indices of one fragment, in frame order."""
        return self.blob_order[self.offsets[fragment]:self.offsets[fragment + 1]]


def alive_per_frame(start: np.ndarray, stop: np.ndarray, first: int, frames: int) -> np.ndarray:
    """(frames,) how many spans [start, stop), all within [first, first + frames], cover each
    frame from ``first`` on, in O(spans + frames) (a difference array; no spans x frames table)."""
    change = np.zeros(frames + 1, np.int64)
    np.add.at(change, start - first, 1)
    np.subtract.at(change, stop - first, 1)
    return np.cumsum(change)[:frames]


def _roots(pred: np.ndarray) -> np.ndarray:
    """First blob of each blob's chain, by pointer doubling (O(n log L), vectorised)."""
    root = np.where(pred < 0, np.arange(len(pred)), pred)
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            return root
        root = nxt


def build_fragments(blob_frame: np.ndarray, links: np.ndarray, is_individual: np.ndarray,
                    group: np.ndarray | None = None) -> Fragments:
    """Group blobs into fragments.

    Args:
        blob_frame: (n,) int64 frame of every blob (blobs sorted by frame).
        links: (k, 2) int64 (previous blob, next blob) overlap links between consecutive frames.
        is_individual: (n,) bool blob kind.
        group: optional (n,) int labels (e.g. exclusive ROI) a fragment may not change.
    """
    n = len(blob_frame)
    n_prev, n_next = link_counts(links, n)
    pred = np.full(n, -1, np.int64)
    if len(links):
        a, b = links[:, 0], links[:, 1]
        chain = (n_next[a] == 1) & (n_prev[b] == 1) & (is_individual[a] == is_individual[b])
        if group is not None:
            chain &= group[a] == group[b]
        pred[b[chain]] = a[chain]
    roots = _roots(pred)
    root_ids, of_blob = np.unique(roots, return_inverse=True)
    order = np.lexsort((blob_frame, of_blob))
    counts = np.bincount(of_blob, minlength=len(root_ids))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    start = blob_frame[order[offsets[:-1]]] if n else np.zeros(0, np.int64)
    stop = blob_frame[order[offsets[1:] - 1]] + 1 if n else np.zeros(0, np.int64)
    return Fragments(of_blob.astype(np.int64), start.astype(np.int64), stop.astype(np.int64),
                     is_individual[root_ids].astype(bool), order.astype(np.int64), offsets)
