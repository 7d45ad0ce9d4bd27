"""Which fragments teach the contrastive encoder: positives within a fragment, negatives across coexisting ones.

Images of one fragment are one animal; two fragments alive in the same frame are two animals.
Neither statement needs an identity, so the pairs come for free from the fragmentation.
Only fragments with a few images take part: a two-image fragment is often a segmentation slip.
"""

from __future__ import annotations

import attrs
import numpy as np

from .coexistence import Coexistence
from .fragments import Fragments
from .global_fragments import MIN_IMAGES_TO_ACCUMULATE


@attrs.frozen
class ContrastivePairs:
    """Attributes:
        positive: (P,) int64 fragment ids whose image pairs are positives.
        negative: (K, 2) int64 coexisting fragment pairs (a < b) whose image pairs are negatives.
    """

    positive: np.ndarray
    negative: np.ndarray


def contrastive_pairs(fragments: Fragments, min_images: int = MIN_IMAGES_TO_ACCUMULATE) -> ContrastivePairs:
    """Positive fragments and negative fragment pairs among the individual fragments with ``min_images`` or more."""
    long = np.flatnonzero(fragments.is_individual & (fragments.n_images >= min_images))
    coexistence = Coexistence.of(fragments.start, fragments.stop, long)
    counts = np.diff(coexistence.indptr)
    a = np.repeat(np.arange(len(counts)), counts)
    keep = a < coexistence.indices
    negative = np.column_stack([a[keep], coexistence.indices[keep]]).astype(np.int64)
    return ContrastivePairs(long.astype(np.int64), negative.reshape(-1, 2))
