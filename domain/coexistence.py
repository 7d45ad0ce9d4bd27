"""Which fragments are alive at the same time, and so must be different animals."""

from __future__ import annotations

import attrs
import numpy as np


@attrs.frozen
class Coexistence:
    """A symmetric adjacency (CSR) between fragments whose frame spans overlap.

    Attributes:
        indptr: (F + 1,) int64 row pointers.
        indices: (nnz,) int64 neighbours of each fragment.
    """

    indptr: np.ndarray
    indices: np.ndarray

    def neighbours(self, fragment: int) -> np.ndarray:
        return self.indices[self.indptr[fragment]:self.indptr[fragment + 1]]

    @classmethod
    def of(cls, start: np.ndarray, stop: np.ndarray, members: np.ndarray) -> Coexistence:
        """Adjacency among ``members`` (fragment ids) whose [start, stop) spans overlap.

        Args:
            start, stop: (F,) spans of all fragments.
            members: ids of the fragments to relate (e.g. the individual ones).
        """
        n = len(start)
        order = members[np.argsort(start[members], kind="stable")]
        starts = start[order]
        rows, cols = [], []
        for k, f in enumerate(order):
            end = np.searchsorted(starts, stop[f], side="left")
            later = order[k + 1:end]
            rows.append(np.full(len(later), f))
            cols.append(later)
        a = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        b = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        src, dst = np.concatenate([a, b]), np.concatenate([b, a])
        sort = np.lexsort((dst, src))
        src, dst = src[sort], dst[sort]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n))]).astype(np.int64)
        return cls(indptr, dst.astype(np.int64))

    @classmethod
    def of_parts(cls, start: np.ndarray, stop: np.ndarray, members: np.ndarray, owner: np.ndarray,
                 number_of_owners: int) -> Coexistence:
        """Adjacency among owners (units joined from fragments) whose member fragments overlap.

        A unit joined across a crossing or a gap is not seen in the frames between its parts, so
        a fragment there does not coexist with it: the animal, seen alone for a few frames between
        two merges, is that unit's own animal. Spans of whole units would rule its identity out
        (14_small: 16 images of such short fragments were left without an identity).

        Args:
            start, stop: (F,) spans of the fragments (each contiguous).
            members: ids of the fragments to relate (e.g. the individual ones).
            owner: (F,) unit of each fragment; number_of_owners: how many units.
        """
        parts = cls.of(start, stop, members)
        source = np.repeat(np.arange(len(start)), np.diff(parts.indptr))
        a, b = owner[source], owner[parts.indices]
        keep = a != b
        pairs = np.unique(np.stack([a[keep], b[keep]], 1), axis=0).astype(np.int64).reshape(-1, 2)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(pairs[:, 0], minlength=number_of_owners))])
        return cls(indptr.astype(np.int64), pairs[:, 1].copy())
