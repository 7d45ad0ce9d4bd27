"""The segmentation app's parameter column: every widget maps to one idtracker.ai parameter.

The panel knows widgets only: ``params()`` reads them into the settings dict the CLI would
build from a TOML, ``load()`` sets them from one, and ``changed`` fires on any edit.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from qtpy import QtCore, QtWidgets
from superqt import QLabeledRangeSlider, QLabeledSlider

ROI_KINDS = ("+ Polygon", "- Polygon", "+ Ellipse", "- Ellipse")
STATS = ("median", "mean", "max", "min")
INTENSITY_MODES = ("Dark animals", "Bright animals", "Custom")
MAX_AREA = 60000
#: idtracker.ai's defaults when the parameters are unset.
DEFAULT_INTENSITY, DEFAULT_AREA = (0, 130), (50, math.inf)


def _range_slider(low: int, high: int) -> QLabeledRangeSlider:
    slider = QLabeledRangeSlider(QtCore.Qt.Orientation.Horizontal)
    slider.setRange(low, high)
    return slider


class SegmentationPanel(QtWidgets.QWidget):
    """Left column of the segmentation app."""

    changed = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.video_paths: list[Path] = []
        self._loading = False
        self.open_button = QtWidgets.QPushButton("Open...")
        self.video_label = QtWidgets.QLabel("no video")
        self.video_label.setWordWrap(True)
        self.interval_box = QtWidgets.QCheckBox("Tracking interval")
        self.interval = _range_slider(0, 1)
        self.intervals_multiple = QtWidgets.QCheckBox("Multiple")
        self.intervals_text = QtWidgets.QLineEdit()
        self.intervals_text.setPlaceholderText("[0,1000],[1300,2400],...")
        self.roi_box = QtWidgets.QCheckBox("Regions of interest")
        self.roi_kind = QtWidgets.QComboBox()
        self.roi_kind.addItems(ROI_KINDS)
        self.roi_add = QtWidgets.QPushButton("Add")
        self.roi_add.setCheckable(True)
        self.roi_list = QtWidgets.QListWidget()
        self.roi_list.setMaximumHeight(80)
        self.roi_remove = QtWidgets.QPushButton("Remove")
        self.exclusive = QtWidgets.QCheckBox("Exclusive ROIs")
        self.animals = QtWidgets.QSpinBox()
        self.animals.setRange(0, 1000)
        self.animals.setSpecialValueText("unknown")
        self.background_box = QtWidgets.QCheckBox("Background subtraction")
        self.background_stat = QtWidgets.QComboBox()
        self.background_stat.addItems(STATS)
        self.background_view = QtWidgets.QPushButton("View background")
        self.background_view.setCheckable(True)
        self.intensity_label = QtWidgets.QLabel("Blob intensity thresholds")
        self.intensity_mode = QtWidgets.QComboBox()
        self.intensity_mode.addItems(INTENSITY_MODES)
        self.intensity = _range_slider(0, 255)
        self.area_upper = QtWidgets.QCheckBox("Upper limit")
        self.area_min = QLabeledSlider(QtCore.Qt.Orientation.Horizontal)
        self.area_min.setRange(1, 10000)
        self.area = _range_slider(1, MAX_AREA)
        self.check_segmentation = QtWidgets.QCheckBox("Stop tracking if #blobs > #animals")
        self.without_identities = QtWidgets.QCheckBox("Track without identities")
        self.name = QtWidgets.QLineEdit()
        self.save_button = QtWidgets.QPushButton("Save parameters")
        self.track_button = QtWidgets.QPushButton("Close window and track video")
        self._layout()
        self._connect()
        self.load({})

    def _layout(self) -> None:
        form = QtWidgets.QVBoxLayout(self)
        roi_row = QtWidgets.QHBoxLayout()
        for w in (self.roi_kind, self.roi_add, self.roi_remove):
            roi_row.addWidget(w)
        area_row = QtWidgets.QHBoxLayout()
        area_row.addWidget(QtWidgets.QLabel("Area thresholds"))
        area_row.addWidget(self.area_upper)
        background_row = QtWidgets.QHBoxLayout()
        for w in (self.background_box, self.background_stat, self.background_view):
            background_row.addWidget(w)
        interval_row = QtWidgets.QHBoxLayout()
        interval_row.addWidget(self.interval_box)
        interval_row.addWidget(self.intervals_multiple)
        animals_row = QtWidgets.QHBoxLayout()
        animals_row.addWidget(QtWidgets.QLabel("Number of animals"))
        animals_row.addWidget(self.animals)
        items = [self.open_button, self.video_label, interval_row, self.interval, self.intervals_text, self.roi_box, roi_row,
                 self.roi_list, self.exclusive, animals_row, background_row, self.intensity_label, self.intensity_mode,
                 self.intensity, area_row, self.area_min, self.area, self.check_segmentation, self.without_identities,
                 QtWidgets.QLabel("Session name"), self.name, self.save_button, self.track_button]
        for item in items:
            (form.addLayout if isinstance(item, QtWidgets.QLayout) else form.addWidget)(item)
        form.addStretch(1)

    def _connect(self) -> None:
        for signal in (self.interval_box.toggled, self.interval.valueChanged, self.intervals_multiple.toggled,
                       self.intervals_text.editingFinished, self.roi_box.toggled,
                       self.exclusive.toggled, self.animals.valueChanged, self.background_box.toggled,
                       self.background_stat.currentIndexChanged, self.intensity.valueChanged,
                       self.area_min.valueChanged, self.area.valueChanged, self.area_upper.toggled,
                       self.check_segmentation.toggled, self.without_identities.toggled, self.name.textChanged):
            signal.connect(self._emit_changed)
        self.area_upper.toggled.connect(self._show_area)
        self.interval_box.toggled.connect(self._show_intervals)
        self.intervals_multiple.toggled.connect(self._show_intervals)
        self.intensity_mode.currentIndexChanged.connect(self._intensity_mode)
        self.background_box.toggled.connect(self._background_mode)
        self.roi_remove.clicked.connect(self._remove_roi)

    def _emit_changed(self, *_: object) -> None:
        if not self._loading:
            self.changed.emit()

    def _show_intervals(self, *_: object) -> None:
        on, multiple = self.interval_box.isChecked(), self.intervals_multiple.isChecked()
        self.interval.setEnabled(on and not multiple)
        self.intervals_multiple.setEnabled(on)
        self.intervals_text.setVisible(on and multiple)

    def tracking_intervals(self) -> list[list[int]] | None:
        """The intervals asked for: the slider's, or with "Multiple" the text's ``[a,b],[c,d]`` pairs,
        clamped to the video, each put in order, empty ones dropped; None for the whole video."""
        if not self.interval_box.isChecked():
            return None
        if not self.intervals_multiple.isChecked():
            return [list(map(int, self.interval.value()))]
        numbers = [int(float(v)) for v in re.findall(r"-?\d+(?:\.\d*)?", self.intervals_text.text())]
        top = self.interval.maximum()
        pairs = [sorted((min(max(a, 0), top), min(max(b, 0), top))) for a, b in zip(numbers[::2], numbers[1::2])]
        return [p for p in pairs if p[0] < p[1]] or None

    def _show_area(self, upper: bool) -> None:
        self.area_min.setVisible(not upper)
        self.area.setVisible(upper)

    def _intensity_mode(self, index: int) -> None:
        low, high = self.intensity.value()
        if INTENSITY_MODES[index] == "Dark animals":
            self.intensity.setValue((0, high))
        elif INTENSITY_MODES[index] == "Bright animals":
            self.intensity.setValue((low if low > 0 else 130, 255))

    def _background_mode(self, on: bool) -> None:
        self.intensity_label.setText("Background difference threshold" if on else "Blob intensity thresholds")
        self.intensity_mode.setEnabled(not on)
        if on:
            self.intensity.setValue((self.intensity.value()[0] or 10, 255))

    def _remove_roi(self) -> None:
        for item in self.roi_list.selectedItems() or [self.roi_list.item(self.roi_list.count() - 1)]:
            if item is not None:
                self.roi_list.takeItem(self.roi_list.row(item))
        self.changed.emit()

    def add_roi(self, text: str) -> None:
        self.roi_list.addItem(text)
        self.roi_box.setChecked(True)
        self.changed.emit()

    def rois(self) -> list[str]:
        return [self.roi_list.item(k).text() for k in range(self.roi_list.count())]

    def set_videos(self, paths: list[Path], frames: int) -> None:
        self.video_paths = list(paths)
        self.video_label.setText("\n".join(p.name for p in paths) or "no video")
        self.name.setPlaceholderText("&".join(p.stem for p in paths))
        self.interval.setRange(0, max(frames, 1))
        self.interval.setValue((0, max(frames, 1)))

    def area_ths(self) -> tuple[float, float]:
        if self.area_upper.isChecked():
            low, high = self.area.value()
            return float(low), float(high)
        return float(self.area_min.value()), math.inf

    def params(self) -> dict[str, object]:
        """The settings the widgets say, with idtracker.ai's keys."""
        params: dict[str, object] = {}
        if self.name.text().strip():
            params["name"] = self.name.text().strip()
        low, high = self.intensity.value()
        interval = self.tracking_intervals()
        params.update({
            "video_paths": [str(p) for p in self.video_paths],
            "intensity_ths": [float(low), float(high)],
            "area_ths": list(self.area_ths()),
            "tracking_intervals": interval,
            "number_of_animals": int(self.animals.value()),
            "use_bkg": self.background_box.isChecked(),
            "check_segmentation": self.check_segmentation.isChecked(),
            "track_wo_identities": self.without_identities.isChecked(),
            "roi_list": self.rois() if self.roi_box.isChecked() and self.rois() else None,
        })
        if self.background_box.isChecked():
            params["background_subtraction_stat"] = self.background_stat.currentText()
        if self.exclusive.isVisible() or self.exclusive.isChecked():
            params["exclusive_rois"] = self.exclusive.isChecked()
        return params

    def load(self, params: dict) -> None:
        """Set the widgets from a settings dict (missing keys: idtracker.ai's defaults)."""
        self._loading = True
        intensity = params.get("intensity_ths") or DEFAULT_INTENSITY
        area = params.get("area_ths") or DEFAULT_AREA
        self.intensity.setValue((int(intensity[0]), int(min(intensity[1], 255))))
        self.intensity_mode.setCurrentIndex(0 if intensity[0] == 0 else (1 if intensity[1] >= 255 else 2))
        upper = math.isfinite(float(area[1]))
        self.area_upper.setChecked(upper)
        self.area_min.setValue(int(area[0]))
        self.area.setValue((int(area[0]), int(min(area[1], MAX_AREA)) if upper else MAX_AREA))
        self._show_area(upper)
        self.animals.setValue(int(params.get("number_of_animals") or 0))
        self.background_box.setChecked(bool(params.get("use_bkg")))
        stat = str(params.get("background_subtraction_stat") or "median")
        self.background_stat.setCurrentIndex(STATS.index(stat) if stat in STATS else 0)
        self.check_segmentation.setChecked(bool(params.get("check_segmentation")))
        self.without_identities.setChecked(bool(params.get("track_wo_identities")))
        self.roi_list.clear()
        for text in params.get("roi_list") or []:
            self.roi_list.addItem(str(text))
        self.roi_box.setChecked(bool(params.get("roi_list")))
        self.exclusive.setChecked(bool(params.get("exclusive_rois")))
        intervals = params.get("tracking_intervals")
        self.interval_box.setChecked(bool(intervals))
        self.intervals_multiple.setChecked(bool(intervals) and len(intervals) > 1)
        self.intervals_text.setText(",".join(f"[{int(a)},{int(b)}]" for a, b in intervals or []))
        if intervals:
            self.interval.setValue(tuple(int(v) for v in intervals[0]))
        self._show_intervals()
        self.name.setText(str(params.get("name") or ""))
        self._background_mode(self.background_box.isChecked())
        self._loading = False
        self.changed.emit()
