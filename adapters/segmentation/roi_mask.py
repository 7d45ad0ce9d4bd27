"""Rasterise ``roi_list`` into the pixel mask that segmentation keeps blobs inside."""

from __future__ import annotations

import cv2
import numpy as np
from idtracker.application.settings_validation import parse_rois
from idtracker.domain.roi import EllipseRoi, Roi

#: Angular step of the polygon that approximates an ellipse, as idtracker.ai draws it.
ELLIPSE_STEP_DEGREES = 2


def roi_mask(roi_list: list[str] | None, width: int, height: int) -> np.ndarray | None:
    """The region of interest as a (height, width) uint8 mask, 255 inside and 0 outside.

    Shapes are applied in order on an empty mask: '+' shapes fill 255, '-' shapes fill 0, so a later
    '-' can cut a hole in an earlier '+'. ``None`` when there is no ROI, meaning the whole frame.

    Raises:
        UserError: an entry is malformed (names the entry and the valid forms).
    """
    if not roi_list:
        return None
    mask = np.zeros((height, width), np.uint8)
    for roi in parse_rois(roi_list):
        cv2.fillPoly(mask, [_vertices(roi)], 255 if roi.sign > 0 else 0)
    return mask


def _vertices(roi: Roi) -> np.ndarray:
    """(n, 2) int32 pixel vertices; coordinates are rounded half up like idtracker.ai's."""
    if isinstance(roi, EllipseRoi):
        center = tuple(int(np.floor(c + 0.5)) for c in roi.center)
        axes = tuple(int(np.floor(a + 0.5)) for a in roi.axes)
        return cv2.ellipse2Poly(center, axes, int(np.floor(roi.angle + 0.5)), 0, 360, ELLIPSE_STEP_DEGREES)
    return np.floor(roi.points + 0.5).astype(np.int32)


def ellipse_through(points: np.ndarray) -> tuple[tuple[int, int], tuple[int, int], float]:
    """The ellipse fitted (least squares, OpenCV) to five or more clicked points, as an ROI stores it:
    integer centre, integer half-axes, angle in degrees."""
    (cx, cy), (width, height), angle = cv2.fitEllipse(np.asarray(points, np.float32).reshape(-1, 1, 2))
    return (int(round(cx)), int(round(cy))), (int(round(width / 2)), int(round(height / 2))), round(float(angle), 1)
