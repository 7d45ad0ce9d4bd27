"""How each rendered animal looks: size, shade and markings, as distinct as asked.

Identification can only be as good as the differences between animals allow. ``distinctness``
scales every difference at once, from obvious (1: sizes differ by up to ~12 %, shades by ~45 gray
levels, high-contrast bands, stripes or spots) to nearly identical (0: a few percent in size and a
couple of gray levels, no markings), so benchmarks can walk the whole range with one number.
Every animal has the same two dark eyes, which give a head but no identity.
"""

from __future__ import annotations

import attrs
import numpy as np

#: Gray levels an animal's pixels stay within, markings included: dark enough to be segmented by
#: ``SEGMENTATION_THRESHOLD`` over sensor noise and compression, never black.
DARKEST, LIGHTEST = 25.0, 112.0
#: The upper intensity threshold that separates animals from any background the renderer draws.
SEGMENTATION_THRESHOLD = 140
#: Typical body shade and its spread between animals at distinctness 1.
BASE_SHADE, SHADE_SPREAD = 80.0, 22.0
#: Widest body width relative to length, and relative size spread at distinctness 1.
WIDTH_RATIO, SIZE_SPREAD = 0.17, 0.12
#: Differences that remain at distinctness 0: animals are never pixel-identical clones.
RESIDUAL_SIZE, RESIDUAL_SHADE = 0.02, 2.0
#: Contrast of markings at distinctness 1, gray levels.
MARK_CONTRAST = (22.0, 38.0)
#: Eyes: (s0, s1, l0, l1) on each side of the head, and how much darker than the body.
EYES = np.array([[0.05, 0.13, 0.2, 0.75], [0.05, 0.13, -0.75, -0.2]])
EYE_DARKENING = 30.0
PATTERNS = ("plain", "bands", "stripe", "spots", "saddle")


@attrs.frozen
class FishAppearance:
    """The looks of N animals.

    Attributes:
        lengths: (N,) float64 body lengths, px.
        widths: (N,) float64 widest body widths, px.
        shades: (N,) float64 body gray levels.
        patterns: (N,) names from ``PATTERNS``.
        mark_owners: (Q,) int64 animal of each marking (eyes included).
        mark_bounds: (Q, 4) float64 ``s0, s1, l0, l1`` of each marking on its body.
        mark_shades: (Q,) float64 gray level of each marking, within ``DARKEST..LIGHTEST``.
    """

    lengths: np.ndarray
    widths: np.ndarray
    shades: np.ndarray
    patterns: tuple[str, ...]
    mark_owners: np.ndarray
    mark_bounds: np.ndarray
    mark_shades: np.ndarray


def _pattern_bounds(pattern: str, rng: np.random.Generator) -> list[tuple[float, float, float, float]]:
    """Body regions (s0, s1, l0, l1) a pattern marks, with random placement."""
    if pattern == "bands":
        starts = np.sort(rng.uniform(0.2, 0.75, rng.integers(2, 4)))
        return [(s, s + rng.uniform(0.05, 0.1), -1.0, 1.0) for s in starts]
    if pattern == "stripe":
        centre = rng.uniform(-0.2, 0.2)
        return [(0.18, rng.uniform(0.7, 0.9), centre - 0.3, centre + 0.3)]
    if pattern == "spots":
        s, l = rng.uniform(0.2, 0.8, rng.integers(3, 6)), rng.uniform(-0.8, 0.3, 5)
        return [(a, a + 0.07, b, b + 0.5) for a, b in zip(s, l)]
    if pattern == "saddle":
        start = rng.uniform(0.25, 0.45)
        return [(start, start + rng.uniform(0.15, 0.25), -1.0, 1.0)]
    return []


def draw_appearance(n_animals: int, body_length: float, distinctness: float,
                    rng: np.random.Generator) -> FishAppearance:
    """Random looks for ``n_animals`` animals whose differences scale with ``distinctness`` in [0, 1]."""
    if not 0.0 <= distinctness <= 1.0:
        raise ValueError(f"distinctness must be in [0, 1], got {distinctness}")
    size = 1 + distinctness * rng.uniform(-SIZE_SPREAD, SIZE_SPREAD, n_animals)
    size *= 1 + rng.uniform(-RESIDUAL_SIZE, RESIDUAL_SIZE, n_animals)
    lengths = body_length * size
    widths = WIDTH_RATIO * lengths * (1 + 0.5 * distinctness * rng.uniform(-SIZE_SPREAD, SIZE_SPREAD, n_animals))
    shades = (BASE_SHADE + distinctness * rng.uniform(-SHADE_SPREAD, SHADE_SPREAD, n_animals)
              + rng.uniform(-RESIDUAL_SHADE, RESIDUAL_SHADE, n_animals))
    shades = np.clip(shades, DARKEST + 10, LIGHTEST - 10)
    patterns = tuple(PATTERNS[i] for i in rng.integers(0 if distinctness < 1 else 1, len(PATTERNS), n_animals))
    if distinctness == 0:
        patterns = ("plain",) * n_animals
    owners: list[int] = []
    bounds: list[tuple[float, float, float, float]] = []
    marks: list[float] = []
    for animal, pattern in enumerate(patterns):
        regions = _pattern_bounds(pattern, rng)
        contrast = distinctness * rng.uniform(*MARK_CONTRAST) * rng.choice([-1.0, 1.0])
        for region in regions:
            owners.append(animal)
            bounds.append(region)
            marks.append(shades[animal] + contrast)
        for eye in EYES:
            owners.append(animal)
            bounds.append(tuple(eye))
            marks.append(shades[animal] - EYE_DARKENING)
    return FishAppearance(
        lengths=lengths, widths=widths, shades=shades, patterns=patterns,
        mark_owners=np.array(owners, np.int64), mark_bounds=np.array(bounds, np.float64).reshape(-1, 4),
        mark_shades=np.clip(np.array(marks, np.float64), DARKEST, LIGHTEST))
