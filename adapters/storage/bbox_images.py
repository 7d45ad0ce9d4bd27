"""Bounding-box crops of every blob, one HDF5 file per episode.

All crops of an episode are one flat uint8 dataset plus offsets (not one dataset per blob), so
writing is one call and any crop is a slice; its shape is the blob's bounding box (h, w).
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np


def write_bbox_images(path: Path, pixels: np.ndarray, offsets: np.ndarray) -> Path:
    """Write an episode's crops atomically and return the file path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".h5.tmp")
    with h5py.File(tmp, "w") as f:
        f.create_dataset("pixels", data=pixels, chunks=True if len(pixels) else None)
        f.create_dataset("offsets", data=offsets)
    os.replace(tmp, path)
    return path


def read_bbox_images(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(pixels, offsets) of an episode file."""
    with h5py.File(path, "r") as f:
        return f["pixels"][()], f["offsets"][()]
