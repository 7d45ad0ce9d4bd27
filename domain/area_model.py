"""Telling single animals from crossings by blob area.

In frames where exactly N blobs are seen every blob is one animal, so their areas describe what
one animal looks like; where no frame shows all N apart (a crowded tank), the frames with the
most blobs describe it, robustly. A blob far larger than that (4 standard deviations over the
median, as idtracker.ai uses) is taken for two or more touching animals.
"""

from __future__ import annotations

import attrs
import numpy as np

SD_TOLERANCE = 4.0
MIN_RELATIVE_STD = 0.05


@attrs.frozen
class AreaModel:
    """Median and standard deviation (or its robust equivalent) of the area of one animal, in pixels."""

    median: float
    std: float

    @classmethod
    def fit(cls, areas: np.ndarray, blobs_in_frame: np.ndarray, number_of_animals: int) -> AreaModel:
        """Fit on blobs of frames with exactly ``number_of_animals`` blobs; where no frame has
        them all apart, on the frames with the most blobs, robustly (``_robust_fit``); on all
        blobs when the number of animals is unknown (0)."""
        if len(areas) == 0:
            return cls(0.0, 0.0)
        if number_of_animals > 0:
            sure = areas[blobs_in_frame == number_of_animals]
            if len(sure):
                return cls(float(np.median(sure)), float(np.std(sure)))
            fewer = blobs_in_frame < number_of_animals  # a frame with more blobs than animals holds fragments
            if fewer.any():
                return cls._robust_fit(areas[blobs_in_frame == blobs_in_frame[fewer].max()])
        return cls(float(np.median(areas)), float(np.std(areas)))

    @classmethod
    def _robust_fit(cls, areas: np.ndarray) -> AreaModel:
        """Median and MAD-based deviation of blobs that are mostly, not all, single animals.

        In a crowded tank no frame may show every animal apart (20_crowded_s2: none of 500).
        The frames with the most blobs (fewer than the animals) come closest, but a few of their
        blobs are still pairs, and a plain standard deviation over them, or over every blob, is
        inflated by those: on 20_crowded_s2 the deviation over all blobs was 266 px for animals of
        272 px, the area rule's bound 1,354 px, and 1,892 blobs of two or more animals passed for
        single animals (185 with this fit). The pairs move the median and the median absolute
        deviation only a little while they are fewer than half of the blobs."""
        median = float(np.median(areas))
        return cls(median, float(1.4826 * np.median(np.abs(areas - median))))

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
