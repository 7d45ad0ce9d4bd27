"""Fish body geometry: a bending midline, a tapered outline and patches on the body surface.

A tracker meets bodies that bend (turning C-shapes, the travelling wave of swimming), are
thicker at the head than at the tail, and whose markings move with the body. Everything here is
computed for all animals of a frame at once, as polygons ready to be filled.

Body coordinate ``s`` runs from the snout (0) to the tail tip (1); lateral coordinate ``l`` runs
from one flank (-1) through the midline (0) to the other (+1), in units of the local half width.
"""

from __future__ import annotations

import numpy as np

#: Samples along the midline; enough for smooth outlines at ~100 px body lengths.
MIDLINE_SAMPLES = 17
_S = np.linspace(0.0, 1.0, MIDLINE_SAMPLES)
#: Half width along the body relative to the widest point: blunt head, widest behind the eyes,
#: a narrow caudal peduncle and a slightly wider tail fin.
_WIDTH_AT = np.array([0.0, 0.04, 0.12, 0.28, 0.5, 0.72, 0.86, 0.93, 1.0])
_WIDTH = np.array([0.45, 0.78, 0.96, 1.0, 0.78, 0.42, 0.22, 0.3, 0.38])
_HALF_WIDTH = np.interp(_S, _WIDTH_AT, _WIDTH)
#: The point of the body that follows the simulated position (about the centre of mass).
ANCHOR = 0.38
#: Tightest bend allowed, in radians per body length (a strong C-start).
MAX_CURVATURE = 2.5
#: Thinnest half width drawn, px: a tail thinner than the optical blur would vanish from the video
#: while staying in the ground truth.
MIN_HALF_WIDTH = 1.0


def midlines(centres: np.ndarray, headings: np.ndarray, lengths: np.ndarray, curvatures: np.ndarray,
             beat_phases: np.ndarray, beat_amplitudes: np.ndarray) -> np.ndarray:
    """(N, M, 2) midline points from snout to tail tip, in px.

    The midline is a parabolic C-bend (from turning) plus a travelling wave whose amplitude grows
    towards the tail (swimming), drawn in body axes and placed so that ``ANCHOR`` sits on the centre.

    Args:
        centres: (N, 2) px.
        headings: (N,) rad, the direction the snout points to.
        lengths: (N,) body lengths, px.
        curvatures: (N,) rad per body length; positive bends towards increasing heading.
        beat_phases: (N,) rad.
        beat_amplitudes: (N,) tail-tip amplitude of the wave, in body lengths.
    """
    s = _S[None, :]
    bend = 0.5 * np.clip(curvatures, -MAX_CURVATURE, MAX_CURVATURE)[:, None] * s**2
    wave = beat_amplitudes[:, None] * s**2 * np.sin(2 * np.pi * 0.9 * s - beat_phases[:, None])
    along, across = -s * np.ones_like(bend), bend + wave
    i0, frac = divmod(ANCHOR * (MIDLINE_SAMPLES - 1), 1.0)
    anchor_across = across[:, int(i0)] * (1 - frac) + across[:, int(i0) + 1] * frac
    along, across = along + ANCHOR, across - anchor_across[:, None]
    cos, sin = np.cos(headings)[:, None], np.sin(headings)[:, None]
    scale = lengths[:, None]
    x = centres[:, 0:1] + scale * (along * cos - across * sin)
    y = centres[:, 1:2] + scale * (along * sin + across * cos)
    return np.stack([x, y], -1)


def _normals(midline: np.ndarray) -> np.ndarray:
    """(N, M, 2) unit normals of the midlines (tangent turned by +90 degrees)."""
    tangent = np.gradient(midline, axis=1)
    tangent /= np.maximum(np.linalg.norm(tangent, axis=-1, keepdims=True), 1e-9)
    return np.stack([-tangent[..., 1], tangent[..., 0]], -1)


def outlines(midline: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """(N, 2M, 2) closed body outlines: one flank snout to tail, the other tail to snout.

    Args:
        midline: (N, M, 2) from :func:`midlines`.
        widths: (N,) widest body width, px.
    """
    half = np.maximum(0.5 * widths[:, None] * _HALF_WIDTH[None, :], MIN_HALF_WIDTH)
    offset = _normals(midline) * half[..., None]
    return np.concatenate([midline + offset, (midline - offset)[:, ::-1]], axis=1)


def patches(midline: np.ndarray, widths: np.ndarray, owners: np.ndarray, bounds: np.ndarray,
            samples: int = 5) -> np.ndarray:
    """(Q, 2*samples, 2) polygons of body-surface patches (bands, stripes, spots, eyes).

    Each patch is the region ``s0 <= s <= s1``, ``l0 <= l <= l1`` of its owner's body, so it bends
    and moves with the body.

    Args:
        midline: (N, M, 2) from :func:`midlines`.
        widths: (N,) widest body width, px.
        owners: (Q,) int index of the animal each patch lies on.
        bounds: (Q, 4) float ``s0, s1, l0, l1``.
        samples: points along each long side of a patch.
    """
    normals = _normals(midline)
    t = np.linspace(0.0, 1.0, samples)[None, :]
    s = bounds[:, 0:1] + (bounds[:, 1:2] - bounds[:, 0:1]) * t
    index = np.clip(s * (MIDLINE_SAMPLES - 1), 0, MIDLINE_SAMPLES - 1 - 1e-9)
    i0, frac = index.astype(int), (index % 1)[..., None]
    rows = owners[:, None]
    centre = midline[rows, i0] * (1 - frac) + midline[rows, i0 + 1] * frac
    normal = normals[rows, i0] * (1 - frac) + normals[rows, i0 + 1] * frac
    half = np.maximum(0.5 * widths[rows] * np.interp(s, _S, _HALF_WIDTH), MIN_HALF_WIDTH)
    side0 = centre + normal * (half * bounds[:, 2:3])[..., None]
    side1 = centre + normal * (half * bounds[:, 3:4])[..., None]
    return np.concatenate([side0, side1[:, ::-1]], axis=1)
