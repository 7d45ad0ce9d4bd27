"""The still part of a rendered video: an unevenly lit, textured tank floor and its wall.

Real setups are never flat: lamps leave gradients and hot spots, the floor has grain, specks and
scratches, and a tank wall draws a ring. Segmentation by intensity must cope with all of it, so the
renderer reproduces it, while keeping every background pixel brighter than
``SEGMENTATION_THRESHOLD`` by a margin that noise and compression cannot bridge.
"""

from __future__ import annotations

import cv2
import numpy as np
from idtracker.domain.fish_appearance import SEGMENTATION_THRESHOLD
from idtracker.domain.swim_simulation import Arena

#: Mean floor brightness and the darkest any background pixel may be (threshold + safety margin).
FLOOR_GRAY = 192.0
BACKGROUND_FLOOR = SEGMENTATION_THRESHOLD + 25.0
#: Amplitudes (gray levels) of the illumination field, the linear gradient and the fine grain.
LIGHT_AMPLITUDE, GRADIENT_AMPLITUDE, GRAIN_AMPLITUDE = 10.0, 8.0, 3.0
#: Darkening of the wall ring and brightening outside the tank.
WALL_DARKENING, OUTSIDE_BRIGHTENING = 30.0, 10.0


def _illumination(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """(H, W) float32 smooth lighting: a few broad bumps, a tilt and darker corners."""
    coarse = rng.normal(0, 1, (4, 4)).astype(np.float32)
    field = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    field = field / max(float(np.abs(field).max()), 1e-6) * LIGHT_AMPLITUDE
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    tilt = (np.cos(angle) * (x / width - 0.5) + np.sin(angle) * (y / height - 0.5)) * 2 * GRADIENT_AMPLITUDE
    corner = ((x / width - 0.5) ** 2 + (y / height - 0.5) ** 2) * 2
    return field + tilt - 8.0 * corner


def _texture(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """(H, W) float32 floor grain plus faint specks and scratches."""
    grain = cv2.GaussianBlur(rng.normal(0, 1, (height, width)).astype(np.float32), (0, 0), 1.5)
    texture = grain / max(float(grain.std()), 1e-6) * GRAIN_AMPLITUDE
    for _ in range(int(width * height / 8000)):
        centre = (int(rng.integers(width)), int(rng.integers(height)))
        cv2.circle(texture, centre, int(rng.integers(1, 3)), -float(rng.uniform(6, 14)), -1, cv2.LINE_AA)
    for _ in range(int(width * height / 60000) + 1):
        a, b = rng.uniform([0, 0], [width, height], (2, 2)).astype(int)
        cv2.line(texture, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), -float(rng.uniform(3, 6)), 1, cv2.LINE_AA)
    return texture


def _wall(background: np.ndarray, arena: Arena) -> None:
    """Draw the tank: a darker ring at the wall, a brighter rim outside it (in place)."""
    height, width = background.shape
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    radius = np.hypot(x - arena.centre[0], y - arena.centre[1])
    thickness = max(3.0, 0.012 * min(width, height))
    ring = np.exp(-(((radius - arena.radius - thickness) / thickness) ** 2))
    background -= WALL_DARKENING * ring
    background += OUTSIDE_BRIGHTENING * (radius > arena.radius + 2 * thickness)


def draw_background(arena: Arena, rng: np.random.Generator, light: float = 1.0) -> np.ndarray:
    """(H, W) uint8 background for ``arena``: lighting (its unevenness scaled by ``light``), texture
    and, for a circular arena, the wall. Pixels stay above ``BACKGROUND_FLOOR`` however dark a corner gets."""
    lighting = light * _illumination(arena.width, arena.height, rng)
    background = FLOOR_GRAY + lighting + _texture(arena.width, arena.height, rng)
    if arena.circular:
        _wall(background, arena)
    return np.clip(np.round(background), BACKGROUND_FLOOR, 255).astype(np.uint8)


class SensorNoise:
    """Per-frame Gaussian sensor noise and lamp flicker, cheap enough for every frame.

    A few noise fields are drawn once, a little larger than the frame; each frame adds a randomly
    offset crop of one of them, so noise differs between frames without drawing megapixels each time.
    """

    _BANK, _PAD = 4, 32

    def __init__(self, width: int, height: int, sigma: float, rng: np.random.Generator):
        self.sigma = sigma
        self._rng = rng
        self._width, self._height = width, height
        shape = (self._BANK, height + self._PAD, width + self._PAD)
        self._bank = np.round(rng.normal(0, sigma, shape)).astype(np.int16) if sigma > 0 else None

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """uint8 (H, W) ``frame`` with this frame's noise added."""
        if self._bank is None:
            return frame
        k, dy, dx = self._rng.integers([0, 0, 0], [self._BANK, self._PAD, self._PAD])
        crop = self._bank[k, dy:dy + self._height, dx:dx + self._width]
        flicker = np.int16(round(self._rng.normal(0, 0.3 * self.sigma)))
        return np.clip(frame.astype(np.int16) + crop + flicker, 0, 255).astype(np.uint8)
