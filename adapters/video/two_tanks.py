"""Two tanks filmed side by side in one video: the case exclusive ROIs are for.

Each tank is rendered on its own (its animals never leave it), then the frames are put side by
side with a bright strip between them; the parameters file draws one ROI per tank and sets
``exclusive_rois``, and the ground truth holds both tanks' animals (left tank's first).
"""

from __future__ import annotations

import time
from pathlib import Path

import attrs
import cv2
import numpy as np
from idtracker.adapters.storage.ground_truth_file import write_ground_truth
from idtracker.domain.ground_truth import GroundTruth

from .renderer import CODECS, RenderedVideo, RenderSettings, open_writer, render_video

#: Gray level of the strip between the tanks (brighter than any animal, like the floor).
STRIP_GRAY = 210


def _roi(x0: int, x1: int, height: int) -> str:
    return f"+ Polygon [[{x0}, 0], [{x1}, 0], [{x1}, {height - 1}], [{x0}, {height - 1}]]"


def render_two_tanks(left: RenderSettings, right: RenderSettings, folder: Path, gap: int = 16,
                     name: str = "two_tanks") -> RenderedVideo:
    """Render ``left`` and ``right`` (same height, frames and fps) side by side into ``folder``."""
    if (left.height, left.frames, left.fps) != (right.height, right.frames, right.fps):
        raise ValueError("both tanks need the same height, number of frames and frame rate")
    start = time.perf_counter()
    folder = Path(folder)
    tanks = [render_video(attrs.evolve(s, name=f"tank_{k}"), folder / f"tank_{k}") for k, s in enumerate((left, right))]
    video_path = folder / f"{name}{CODECS[left.codec][1]}"
    width = left.width + gap + right.width
    writer = open_writer(video_path, attrs.evolve(left, width=width))
    readers = [cv2.VideoCapture(str(t.video_path)) for t in tanks]
    strip = np.full((left.height, gap), STRIP_GRAY, np.uint8)
    try:
        for _ in range(left.frames):
            frames = [cv2.cvtColor(r.read()[1], cv2.COLOR_BGR2GRAY) for r in readers]
            writer.write(np.hstack([frames[0], strip, frames[1]]))
    finally:
        writer.release()
        for r in readers:
            r.release()
    a, b = tanks[0].truth, tanks[1].truth
    shifted = b.positions + np.array([left.width + gap, 0.0])
    truth = GroundTruth(positions=np.concatenate([a.positions, shifted], axis=1),
                        touching=np.concatenate([a.touching, b.touching], axis=1),
                        body_length=float((a.body_length * left.animals + b.body_length * right.animals)
                                          / (left.animals + right.animals)),
                        areas=np.concatenate([a.areas, b.areas], axis=1))
    gt_path = write_ground_truth(truth, folder, fps=left.fps)
    settings_path = folder / f"{name}.toml"
    text = tanks[0].settings_path.read_text(encoding="utf-8").splitlines()
    rois = [_roi(0, left.width - 1, left.height), _roi(left.width + gap, width - 1, left.height)]
    replaced = {"name": f"name = '{name}'", "video_paths": f"video_paths = ['{video_path.name}']",
                "number_of_animals": f"number_of_animals = {left.animals + right.animals}",
                "roi_list": f"roi_list = {rois!r}", "exclusive_rois": "exclusive_rois = true"}
    lines = [replaced.get(line.split(" = ")[0], line) for line in text if not line.startswith("#")]
    settings_path.write_text(f"# Two rendered tanks side by side ({left.animals} + {right.animals} animals).\n"
                             + "\n".join(lines) + "\n", encoding="utf-8")
    return RenderedVideo(video_path, gt_path, settings_path, truth, time.perf_counter() - start)
