"""Small videos the tests render themselves with OpenCV, and paths to the shared test data."""

from __future__ import annotations

import math
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

#: The project's shared data (test_A and idtracker.ai's results for it, score.py): beside the
#: repository in CI; IDTRACKER_SHARED points elsewhere (or nowhere, to check the suite without it).
SHARED = Path(os.environ.get("IDTRACKER_SHARED", Path(__file__).resolve().parents[2] / "shared"))
TEST_A = SHARED / "data" / "test_A.avi"
needs_shared = pytest.mark.skipif(
    not (TEST_A.exists() and (SHARED / "tools" / "score.py").exists()),
    reason=f"needs the shared test data ({SHARED}: test_A, its reference, score.py), not beside this clone")


def render_dots(path: Path, frames: int = 60, animals: int = 3, size: tuple[int, int] = (240, 180),
                extra_blob_frames: tuple[int, ...] = (), seed: int = 0) -> np.ndarray:
    """Write an MJPG video of dark elongated animals circling on a bright background.

    Returns the (frames, animals, 2) true centres. Animals never touch. ``extra_blob_frames``
    get one more dark blob (a "speck") near the bottom-right corner.
    """
    rng = np.random.default_rng(seed)
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (w, h), isColor=True)
    centres = np.zeros((frames, animals, 2))
    phases = rng.uniform(0, 2 * math.pi, animals)
    for t in range(frames):
        frame = np.full((h, w, 3), 200, np.uint8)
        for a in range(animals):
            cx = (a + 0.5) * w / animals
            cy = h / 2 + 0.25 * h * math.sin(phases[a] + t * 0.1)
            centres[t, a] = cx, cy
            cv2.ellipse(frame, (int(round(cx)), int(round(cy))), (12, 4), 90, 0, 360, (30, 30, 30), -1)
        if t in extra_blob_frames:
            cv2.circle(frame, (w - 15, h - 15), 6, (30, 30, 30), -1)
        writer.write(frame)
    writer.release()
    return centres
