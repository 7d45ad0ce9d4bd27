"""Pixels inside a contour polygon, with numpy only (even-odd rule at pixel centres)."""

from __future__ import annotations

import numpy as np


def polygon_pixels(contour: np.ndarray) -> np.ndarray:
    """(k, 2) int (x, y) of the pixels inside or on the closed polygon ``contour`` ((n, 2) int).

    Contour vertices are pixel centres, so the vertices themselves are always included.
    """
    contour = np.asarray(contour, np.float64).reshape(-1, 2)
    x0, y0 = np.floor(contour.min(0)).astype(int)
    x1, y1 = np.ceil(contour.max(0)).astype(int)
    xs, ys = np.meshgrid(np.arange(x0, x1 + 1), np.arange(y0, y1 + 1))
    px, py = xs.ravel().astype(np.float64), ys.ravel().astype(np.float64)
    ax, ay = contour[:, 0], contour[:, 1]
    bx, by = np.roll(ax, -1), np.roll(ay, -1)
    crosses = (ay[None, :] > py[:, None]) != (by[None, :] > py[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at = ax[None, :] + (py[:, None] - ay[None, :]) * (bx - ax)[None, :] / (by - ay)[None, :]
    inside = (crosses & (px[:, None] < x_at)).sum(1) % 2 == 1
    grid = np.column_stack([px, py]).astype(np.int64)
    vertices = np.unique(contour.astype(np.int64), axis=0)
    return np.unique(np.concatenate([grid[inside], vertices]), axis=0)
