"""Telling single animals from crossings by blob area.

In frames where exactly N blobs are seen every blob is one animal, so their areas describe what
one animal looks like. A blob far larger than that (4 standard deviations over the median, as
idtracker.ai uses) is taken for two or more touching animals.
"""

from __future__ import annotations

import attrs
import numpy as np

SD_TOLERANCE = 4.0
MIN_RELATIVE_STD = 0.05


@attrs.frozen
class AreaModel:
    """Median and standard deviation of the area of one animal, in pixels."""

    median: float
    std: float

    @classmethod
    def fit(cls, areas: np.ndarray, blobs_in_frame: np.ndarray, number_of_animals: int) -> AreaModel:
        """Fit on blobs of frames with exactly ``number_of_animals`` blobs (all blobs if none)."""
        sure = areas[blobs_in_frame == number_of_animals] if number_of_animals > 0 else areas[:0]
        sample = sure if len(sure) else areas
        if len(sample) == 0:
            return cls(0.0, 0.0)
        return cls(float(np.median(sample)), float(np.std(sample)))

    def seems_individual(self, areas: np.ndarray) -> np.ndarray:
        """(n,) bool: areas not larger than ``SD_TOLERANCE`` standard deviations over the median.

        The deviation is floored at ``MIN_RELATIVE_STD`` of the median: rendered or very uniform
        animals can have almost no spread, and one animal must never look like a crossing.
        """
        std = max(self.std, MIN_RELATIVE_STD * self.median)
        return areas - self.median <= SD_TOLERANCE * std


def classify_individuals(areas: np.ndarray, blobs_in_frame: np.ndarray,
                         number_of_animals: int) -> tuple[np.ndarray, AreaModel]:
    """Label each blob individual (True) or crossing (False) from its area.

    A blob is an individual when its frame holds exactly N separate blobs, or when its area fits one
    animal; a blob too large for one animal is a crossing.

    Args:
        areas: (n,) float64 blob areas.
        blobs_in_frame: (n,) number of blobs in each blob's frame.
        number_of_animals: N, or 0 when unknown.
    """
    model = AreaModel.fit(areas, blobs_in_frame, number_of_animals)
    clean_frame = (blobs_in_frame == number_of_animals) if number_of_animals > 0 else np.zeros(len(areas), bool)
    individual = clean_frame | model.seems_individual(areas)
    return individual, model
