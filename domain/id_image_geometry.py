"""Size and resolution reduction of identification images (the seed's rules).

The side is set so that an animal of the median body length fits along the image diagonal:
round(body_length / sqrt(2)), made even. Images larger than 80 pixels are scaled down.
"""

from __future__ import annotations

import math

MAX_AUTOMATIC_SIZE = 80
KEEP_FULL_RESOLUTION_ABOVE = 0.91
#: Smallest side the identification networks take (they halve the image three times); automatic
#: sizes of very small animals, or strongly reduced ones, are raised to it.
MIN_ID_IMAGE_SIZE = 8


def _even(x: float) -> int:
    n = int(round(x))
    return n + 1 if n % 2 else n


def id_image_geometry(body_length: float, id_image_size: int | None,
                      resolution_reduction: float | None) -> tuple[int, float]:
    """(side in pixels, scale factor) of identification images.

    Args:
        body_length: median body length in pixels.
        id_image_size: the user's side, or None for automatic.
        resolution_reduction: the user's scale in (0, 1], or None for automatic.
    """
    auto = max(_even(body_length / math.sqrt(2)), MIN_ID_IMAGE_SIZE)
    if id_image_size is None and resolution_reduction is None:
        if auto > MAX_AUTOMATIC_SIZE:
            return MAX_AUTOMATIC_SIZE, round(MAX_AUTOMATIC_SIZE / auto, 2)
        return auto, 1.0
    if id_image_size is None:
        return max(_even(auto * resolution_reduction), MIN_ID_IMAGE_SIZE), float(resolution_reduction)
    if resolution_reduction is None:
        ratio = id_image_size / auto
        return int(id_image_size), round(ratio, 2) if ratio < KEEP_FULL_RESOLUTION_ABOVE else 1.0
    return int(id_image_size), float(resolution_reduction)
