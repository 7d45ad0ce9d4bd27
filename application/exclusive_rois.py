"""Exclusive ROIs: each separate region of the ROI tracked as its own closed group of identities.

The segmentation, the crossing detector and the identification images are shared; fragments,
motion joins, global fragments and identification run per region with that region's number of
animals, and region k's identities are the block after region k-1's (idtracker.ai's
``identities_groups`` ``Region_k``), so no identity can ever appear in two regions.
"""

from __future__ import annotations

import attrs
import numpy as np
from idtracker.domain.blobs import BlobTable
from idtracker.domain.exclusive_regions import animals_per_region, links_of, take_blobs

from .errors import UserError
from .identification_stage import IdentityResult
from .segmentation import SegmentedVideo


@attrs.frozen
class Region:
    """One region: its blobs (indices into the session's), its animals, and those blobs as a video of their own."""

    index: int
    blobs: np.ndarray
    animals: int
    segmented: SegmentedVideo
    individual: np.ndarray


def check_regions(n_regions: int) -> None:
    """exclusive_rois needs separate regions to keep apart."""
    if n_regions < 2:
        raise UserError(f"exclusive_rois: the roi_list gives {n_regions} separate region(s); exclusive ROIs need at "
                        "least two (e.g. one '+ Polygon' per tank), or set exclusive_rois false")


def split_regions(segmented: SegmentedVideo, individual: np.ndarray, region: np.ndarray, n_regions: int,
                  n_animals: int, number_of_frames: int) -> list[Region]:
    """The regions with their animals: the split of ``n_animals`` seen most often with all apart.

    Raises:
        UserError: no frame shows all the animals apart, so how many live in each region is unknown.
    """
    blobs: BlobTable = segmented.blobs
    split = animals_per_region(blobs.frame, region, individual, n_regions, n_animals, number_of_frames)
    if split is None:
        raise UserError(f"exclusive_rois: no frame shows all {n_animals} animals apart inside the ROI regions, so how "
                        "many live in each region is unknown; check number_of_animals, roi_list and the thresholds")
    regions = []
    for k in range(n_regions):
        index = np.flatnonzero(region == k)
        sub = SegmentedVideo(take_blobs(blobs, index), links_of(segmented.links, index, len(blobs)), [],
                             np.zeros(0, np.int64), ())
        regions.append(Region(k, index, int(split[k]), sub, individual[index]))
    return regions


def merge_regions(regions: list[Region], results: list[IdentityResult], n_blobs: int) -> tuple[IdentityResult, dict]:
    """One result for the session (region k's identities shifted past the earlier regions') and its
    ``identities_groups``. Accuracy and ratios are weighted by each region's individual images."""
    identities = np.zeros(n_blobs, np.int64)
    probabilities = np.full(n_blobs, np.nan)
    groups, offset = {}, 0
    for region, result in zip(regions, results):
        own = result.identities
        identities[region.blobs] = np.where(own > 0, own + offset, 0)
        if result.probabilities is not None:
            probabilities[region.blobs] = result.probabilities
        groups[f"Region_{region.index}"] = list(range(offset + 1, offset + result.number_of_identities + 1))
        offset += result.number_of_identities
    weights = np.array([r.individual.sum() for r in regions], float)
    methods = sorted({r.method for r, w in zip(results, weights) if w > 0} or {results[0].method})
    merged = IdentityResult(
        identities, probabilities, offset, _weighted([r.estimated_accuracy for r in results], weights),
        _first([r.image_size for r in results]), _first([r.resolution_reduction for r in results]),
        _weighted([r.ratio_accumulated for r in results], weights), "+".join(methods),
        _extreme([r.velocity_threshold for r in results], max), _weighted([r.silhouette_score for r in results], weights),
        _extreme([r.fragment_connectivity for r in results], min))
    return merged, groups


def _weighted(values: list[float | None], weights: np.ndarray) -> float | None:
    known = [(v, w) for v, w in zip(values, weights) if v is not None and w > 0]
    return float(sum(v * w for v, w in known) / sum(w for _, w in known)) if known else None


def _first(values: list):
    return next((v for v in values if v is not None), None)


def _extreme(values: list[float | None], pick) -> float | None:
    known = [v for v in values if v is not None]
    return float(pick(known)) if known else None
