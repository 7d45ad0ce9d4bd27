"""Which blobs are surely one animal, surely several, or uncertain: labels for the crossing detector.

The area model alone calls a blob a crossing when it is too large for one animal. Two more
sources of evidence make the labels cleaner:

* Blob counts. In a frame with exactly N blobs every blob is one animal. In a frame with fewer
  blobs, each blob's area says how many animals it holds (its area over the single-animal median,
  rounded); when those multiplicities add up to exactly N the frame is explained, and each of its
  blobs is labelled with the multiplicity its area suggests. Blobs of frames that do not add up
  (an animal hidden, a partial detection) stay uncertain instead of getting a guessed label.
* Link topology. A crossing forms where blobs merge (several previous links) and ends where it
  splits (several next links); a blob chained to such a merge or split by one-to-one links belongs
  to the same event. An animal-sized blob that leaves a split and runs into a merge is an animal
  moving between two crossings.

A label needs two concordant sources: size plus count, or size plus topology.
"""

from __future__ import annotations

import attrs
import numpy as np

from .area_model import AreaModel
from .fragments import build_fragments
from .linking import link_counts


@attrs.frozen
class CrossingLabels:
    """Training labels of the crossing detector.

    Attributes:
        sure_individual: (n,) bool blobs that are one animal beyond reasonable doubt.
        sure_crossing: (n,) bool blobs that are several touching animals beyond reasonable doubt.
    """

    sure_individual: np.ndarray
    sure_crossing: np.ndarray

    @property
    def uncertain(self) -> np.ndarray:
        """(n,) bool blobs with neither label."""
        return ~(self.sure_individual | self.sure_crossing)


def _explained_frames(areas: np.ndarray, blob_frame: np.ndarray, blobs_in_frame: np.ndarray,
                      median: float, number_of_animals: int) -> tuple[np.ndarray, np.ndarray]:
    """(explained, multiplicity): per blob, whether its frame's area multiplicities sum to N.

    Only frames with fewer than N blobs are considered: there, the missing animals must be hidden
    inside larger blobs, and the areas say which.
    """
    multiplicity = np.maximum(1, np.rint(areas / median)).astype(np.int64) if median > 0 else np.ones(len(areas), np.int64)
    per_frame = np.bincount(blob_frame, weights=multiplicity, minlength=int(blob_frame.max()) + 1)
    explained = (blobs_in_frame < number_of_animals) & (per_frame[blob_frame] == number_of_animals)
    return explained, multiplicity


def _chain_ends(blob_frame: np.ndarray, links: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first, last): per blob, the first and last blob of its chain of one-to-one links."""
    chains = build_fragments(blob_frame, links, np.ones(len(blob_frame), bool))
    first = chains.first_blobs[chains.of_blob]
    last = chains.last_blobs[chains.of_blob]
    return first, last


def _single_neighbour(links: np.ndarray, n: int, column: int) -> np.ndarray:
    """(n,) int64 the only previous (column 1) or next (column 0) neighbour of each blob, else -1."""
    counts = np.bincount(links[:, column], minlength=n) if len(links) else np.zeros(n, np.int64)
    out = np.full(n, -1, np.int64)
    if len(links):
        single = counts[links[:, column]] == 1
        out[links[single, column]] = links[single, 1 - column]
    return out


def crossing_labels(areas: np.ndarray, blob_frame: np.ndarray, links: np.ndarray, number_of_animals: int,
                    model: AreaModel) -> CrossingLabels:
    """Label the blobs the detector can learn from.

    Args:
        areas: (n,) float64 blob areas.
        blob_frame: (n,) int64 frame of every blob, frame-sorted.
        links: (k, 2) int64 (previous, next) overlap links between consecutive frames.
        number_of_animals: N (> 1).
        model: the single-animal area model.
    """
    n = len(areas)
    if n == 0:
        return CrossingLabels(np.zeros(0, bool), np.zeros(0, bool))
    blobs_in_frame = np.bincount(blob_frame)[blob_frame]
    looks_single = model.seems_individual(areas)
    explained, multiplicity = _explained_frames(areas, blob_frame, blobs_in_frame, model.median, number_of_animals)

    n_prev, n_next = link_counts(links, n)
    first, last = _chain_ends(blob_frame, links)
    merge_or_split = (n_prev > 1) | (n_next > 1)
    in_crossing_chain = merge_or_split | (n_prev[first] > 1) | (n_next[last] > 1)

    before, after = _single_neighbour(links, n, 1)[first], _single_neighbour(links, n, 0)[last]
    from_split = (before >= 0) & (n_next[np.maximum(before, 0)] > 1) & ~looks_single[np.maximum(before, 0)]
    into_merge = (after >= 0) & (n_prev[np.maximum(after, 0)] > 1) & ~looks_single[np.maximum(after, 0)]
    between_crossings = looks_single & ~merge_or_split & from_split & into_merge

    clean = blobs_in_frame == number_of_animals
    sure_individual = clean | between_crossings | (explained & looks_single & (multiplicity == 1))
    sure_crossing = ~clean & ~looks_single & (in_crossing_chain | (explained & (multiplicity > 1)))
    return CrossingLabels(sure_individual, sure_crossing)


def ambiguous_by_area(areas: np.ndarray, labels: CrossingLabels) -> np.ndarray:
    """(n,) bool uncertain blobs whose area does not tell which class they belong to.

    Areas between the largest sure individual and the smallest sure crossing (in either order, so
    overlapping classes widen the range) are ambiguous; outside it the area rule agrees with every
    labelled blob and a trained detector has nothing to add.
    """
    largest_single = areas[labels.sure_individual].max(initial=-np.inf)
    smallest_crossing = areas[labels.sure_crossing].min(initial=np.inf)
    low, high = min(largest_single, smallest_crossing), max(largest_single, smallest_crossing)
    return labels.uncertain & (areas >= low) & (areas <= high)


def balanced_training_set(labels: CrossingLabels, cap: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(blob indices, int64 labels 0 = individual / 1 = crossing) with equally many of each class.

    The larger class is subsampled (at random, seeded) to the size of the smaller, and both are
    capped at ``cap``, so the network cannot win by always answering "individual".
    """
    rng = np.random.default_rng(seed)
    singles, crossings = np.flatnonzero(labels.sure_individual), np.flatnonzero(labels.sure_crossing)
    k = min(cap, len(singles), len(crossings))
    chosen = np.concatenate([rng.choice(singles, k, replace=False), rng.choice(crossings, k, replace=False)])
    return chosen, np.repeat(np.array([0, 1], np.int64), k)
