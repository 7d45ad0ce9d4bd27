"""Image operations for the use cases, done with OpenCV and numpy."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
from idtracker.adapters.segmentation.roi_mask import roi_mask
from idtracker.application.errors import UserError

_STATS = {"median": np.median, "mean": np.mean, "max": np.max, "min": np.min}


class OpenCvImageTools:
    """ROI rasterisation, background statistics and PNG input/output."""

    def roi_mask(self, roi_list: list[str] | None, width: int, height: int) -> np.ndarray | None:
        return roi_mask(roi_list, width, height)

    def roi_regions(self, roi_list: list[str] | None, width: int, height: int) -> tuple[np.ndarray, int]:
        """(H, W) int32 labels of the ROI's separate regions (8-connected, 0 outside) and their number."""
        mask = roi_mask(roi_list, width, height)
        if mask is None:
            return np.zeros((height, width), np.int32), 0
        count, labels = cv2.connectedComponents((mask > 0).astype(np.uint8), connectivity=8)
        return labels.astype(np.int32), int(count - 1)

    def background(self, frames: list[np.ndarray], stat: str) -> np.ndarray:
        """Per-pixel statistic over the stack, computed in row bands to bound memory."""
        if not frames:
            raise UserError("background_subtraction_stat: no frame could be read to compute the background")
        stack = np.stack(frames)
        out = np.empty(stack.shape[1:], np.uint8)
        band = max(1, 2_000_000 // (stack.shape[0] * stack.shape[2]))
        for y in range(0, stack.shape[1], band):
            out[y:y + band] = np.clip(_STATS[stat](stack[:, y:y + band], axis=0), 0, 255).astype(np.uint8)
        return out

    def read_gray_image(self, path: Path) -> np.ndarray:
        image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if image is None:
            raise UserError(f"background_subtraction_stat: cannot read image {path}; give median, mean, max, min "
                            "or the path of a PNG made by idtrackerai_background")
        return image

    def write_image(self, path: Path, image: np.ndarray) -> None:
        """Write a PNG atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        ok, encoded = cv2.imencode(".png", image)
        if not ok:
            raise OSError(f"could not encode {path}")
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(encoded.tobytes())
        os.replace(tmp, path)
