"""Colours and layout for drawing identities: one hue each, evenly spaced, and a grid of animals."""

from __future__ import annotations

import math

import numpy as np


def identity_colours(n: int) -> np.ndarray:
    """(n, 3) uint8 BGR colours of evenly spaced hues at full saturation and value: neighbours in
    identity differ by 360/n degrees, the most any n colours can be kept apart on the hue circle."""
    hue = np.arange(n) / max(n, 1) * 6.0
    sector, fraction = np.floor(hue).astype(int) % 6, hue - np.floor(hue)
    up, down = fraction, 1.0 - fraction
    ones, zeros = np.ones(n), np.zeros(n)
    rgb = np.select([sector[:, None] == k for k in range(6)], [
        np.stack([ones, up, zeros], 1), np.stack([down, ones, zeros], 1), np.stack([zeros, ones, up], 1),
        np.stack([zeros, down, ones], 1), np.stack([up, zeros, ones], 1), np.stack([ones, zeros, down], 1)])
    return np.round(rgb[:, ::-1] * 255).astype(np.uint8)


def grid_shape(n: int) -> tuple[int, int]:
    """(rows, columns) of a near-square grid of n tiles (rows = floor(sqrt n), as idtracker.ai lays them)."""
    rows = max(1, math.isqrt(max(n, 1)))
    return rows, math.ceil(max(n, 1) / rows)
