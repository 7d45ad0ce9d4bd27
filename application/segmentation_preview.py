"""What the segmentation app shows for one frame: the blobs the tracker would find with the current parameters.

The app calls this on every slider move and frame step, so the ROI mask is built once per ROI
list and the frame segmenter is the tracker's own (no second implementation to drift apart).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs
import numpy as np

from .ports import ImageTools


@attrs.frozen
class PreviewBlobs:
    """The blobs of one frame: contours (k, 2) int and areas in px."""

    contours: list[np.ndarray]
    areas: np.ndarray


@attrs.define
class SegmentationPreview:
    """Segments single frames with given thresholds, ROI and background, as tracking will."""

    images: ImageTools
    make_segmenter: Callable[..., Callable[[np.ndarray], object]]
    _roi_key: tuple | None = None
    _roi_mask: np.ndarray | None = None

    def roi_mask(self, roi_list: Sequence[str] | None, width: int, height: int) -> np.ndarray | None:
        """The ROI mask (cached while the list and size stay the same); None without a ROI."""
        key = (tuple(roi_list or ()), width, height)
        if key != self._roi_key:
            self._roi_key = key
            self._roi_mask = self.images.roi_mask(list(roi_list), width, height) if roi_list else None
        return self._roi_mask

    def __call__(self, gray: np.ndarray, intensity_ths: tuple[float, float], area_ths: tuple[float, float],
                 roi_list: Sequence[str] | None = None, background: np.ndarray | None = None) -> PreviewBlobs:
        height, width = gray.shape
        segment = self.make_segmenter(tuple(intensity_ths), tuple(area_ths), self.roi_mask(roi_list, width, height),
                                      background)
        found = segment(gray)
        return PreviewBlobs(list(found.contours), np.asarray(found.areas, float))
