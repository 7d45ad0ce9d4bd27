"""The segmentation app's bar plot: one bar per blob of the current frame, its area in px."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

NORMAL, TOO_MANY = (80, 140, 220), (220, 60, 60)


def blob_title(areas: np.ndarray, n_animals: int, min_area: float, in_intervals: bool = True) -> tuple[str, bool]:
    """The plot's title and whether it warns (more blobs than animals, or the number is unknown)."""
    if not in_intervals:
        return "Frame outside tracking intervals", False
    if not len(areas):
        return "No blobs detected", False
    text = (f"1 blob detected of area {areas[0]:.0f} px" if len(areas) == 1
            else f"{len(areas)} blobs detected. Minimum area: {areas.min():.0f} px")
    if n_animals <= 0:
        return f"Unknown number of animals! {text}", True
    if len(areas) > n_animals:
        return f"More blobs than animals! {text}", True
    return text, False


class BlobAreaPlot(pg.PlotWidget):
    """Bars of the blob areas, red when they warn, a dashed line at the minimum area threshold."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumHeight(140)
        self.setLabel("left", "area (px)")
        self.setMouseEnabled(False, False)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        self.addItem(self.bars)
        self.threshold = pg.InfiniteLine(angle=0, pen=pg.mkPen((200, 200, 200), style=pg.QtCore.Qt.PenStyle.DashLine))
        self.addItem(self.threshold)
        self.title = ""

    def show_blobs(self, areas: np.ndarray, n_animals: int, min_area: float, in_intervals: bool = True) -> None:
        self.title, warns = blob_title(np.asarray(areas, float), n_animals, min_area, in_intervals)
        order = np.sort(np.asarray(areas, float))[::-1]
        self.bars.setOpts(x=np.arange(len(order)), height=order, width=0.7, brush=TOO_MANY if warns else NORMAL)
        self.threshold.setValue(min_area)
        self.setTitle(self.title, color="r" if warns else None)
