"""What a rendered video really shows: where each animal is and whether it can be told apart.

The reference for every accuracy number. Positions are centroids of the pixels an animal really
covers in the frame (what a perfect segmentation would report), so the distance gate of a scorer
measures identity mistakes, not a difference of definitions.
"""

from __future__ import annotations

import attrs
import numpy as np


@attrs.frozen
class GroundTruth:
    """True positions of N animals over F frames.

    Attributes:
        positions: (F, N, 2) float64 centroid (x, y) of each animal's visible pixels, px; NaN when
            another animal hides it completely.
        touching: (F, N) bool, its pixels touch or overlap another animal's, so a segmentation sees
            one blob for both.
        body_length: typical body length, px; scales distance gates.
        areas: (F, N) int64 visible pixels of each animal.
    """

    positions: np.ndarray
    touching: np.ndarray
    body_length: float
    areas: np.ndarray

    @property
    def n_frames(self) -> int:
        return int(self.positions.shape[0])

    @property
    def n_animals(self) -> int:
        return int(self.positions.shape[1])

    @property
    def visible(self) -> np.ndarray:
        """(F, N) bool, the animal has at least one pixel in view."""
        return ~np.isnan(self.positions[..., 0])
