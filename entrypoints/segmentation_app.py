"""The segmentation app (plain ``idtrackerai``): pick videos, see them segmented live, save the TOML, track.

An entrypoint like the CLI: it builds the same settings dict (``SegmentationPanel.params``) that
``--load it.toml`` gives, segments the frame on screen through the container's
``SegmentationPreview`` (the tracker's own frame segmenter), computes backgrounds with the same use
case as tracking, off the GUI thread, and hands the settings to the same tracking function.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from qtpy import QtCore, QtWidgets

from idtracker.adapters.config.toml_settings import load_toml, structure_settings
from idtracker.adapters.config.toml_writer import write_settings
from idtracker.adapters.qt.blob_plot import BlobAreaPlot
from idtracker.adapters.qt.segmentation_panel import SegmentationPanel
from idtracker.adapters.qt.video_player import VideoPlayer
from idtracker.adapters.qt.worker_threads import WorkerThreads
from idtracker.adapters.segmentation.roi_mask import ellipse_through
from idtracker.application.errors import Cancelled, UserError
from idtracker.application.settings import Settings

from .container import local_container

VIDEO_FILTER = "Videos or settings (*.avi *.mp4 *.mov *.mkv *.toml);;All files (*)"
#: Frames kept decoded for stepping back and forth.
FRAME_CACHE = 128
OVERLAY_RGBA = (40, 120, 255, 110)
OUTSIDE_ROI_RGBA = (255, 0, 0, 60)


class BackgroundWorker(QtCore.QObject):
    """Computes the background with the tracking use case, in a thread of its own, with progress and cancel."""

    done = QtCore.Signal(object)
    failed = QtCore.Signal(str)
    progressed = QtCore.Signal(int, int)

    def __init__(self, compute):
        super().__init__()
        self._compute = compute
        self.cancelled = False

    def _progress(self, done: int, total: int) -> bool:
        self.progressed.emit(done, total)
        return not self.cancelled

    def run(self) -> None:
        try:
            self.done.emit(self._compute(self._progress))
        except (UserError, Cancelled) as error:
            self.failed.emit(str(error))


class SegmentationWindow(QtWidgets.QMainWindow):
    """Player, parameter column and blob plot; ``settings`` holds what to track once the window closes."""

    def __init__(self, params: dict | None = None):
        super().__init__()
        self.setWindowTitle("idtracker - segmentation")
        self.container = local_container(console=False)
        self.threads = WorkerThreads(self)
        self.preview = self.container.segmentation_preview()
        self.panel = SegmentationPanel()
        self.player = VideoPlayer()
        self.plot = BlobAreaPlot()
        self.settings: Settings | None = None
        self.video = None
        self.background: np.ndarray | None = None
        self.last_blobs = None
        self._roi_points: list[tuple[float, float]] = []
        self._roi_curve = pg.PlotDataItem(pen=pg.mkPen("y", width=2), symbol="o", symbolSize=6)
        self.player.view.addItem(self._roi_curve)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(330)
        right = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        right.addWidget(self.player)
        right.addWidget(self.plot)
        right.setSizes([600, 200])
        splitter = QtWidgets.QSplitter()
        splitter.addWidget(scroll)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        self.setCentralWidget(splitter)
        self.status = self.statusBar()
        self.background_bar = QtWidgets.QProgressBar()
        self.background_cancel = QtWidgets.QPushButton("Cancel")
        self.background_cancel.clicked.connect(self.cancel_background)
        for widget in (self.background_bar, self.background_cancel):
            self.status.addPermanentWidget(widget)
            widget.setVisible(False)
        self._connect()
        self.resize(1280, 800)
        if params:
            self.load_params(params)

    def _connect(self) -> None:
        self.panel.open_button.clicked.connect(self._open_dialog)
        self.panel.changed.connect(self.refresh)
        self.panel.background_box.toggled.connect(self._background_toggled)
        self.panel.background_stat.currentIndexChanged.connect(lambda *_: self._background_toggled(True)
                                                               if self.panel.background_box.isChecked() else None)
        self.panel.roi_add.toggled.connect(self._roi_adding)
        self.panel.background_view.toggled.connect(lambda *_: self.refresh())
        self.panel.save_button.clicked.connect(self._save_dialog)
        self.panel.track_button.clicked.connect(self.track)
        self.player.frame_changed.connect(lambda _: self.refresh())
        self.player.clicked.connect(self._roi_click)
        self.panel.interval.valueChanged.connect(lambda v: self.player.set_frame(v[0]))

    # --- videos and parameters -------------------------------------------------------------
    def _open_dialog(self) -> None:
        files, _ = QtWidgets.QFileDialog.getOpenFileNames(self, "Open videos or a settings file", "", VIDEO_FILTER)
        if files:
            self.open_paths([Path(f) for f in files])

    def open_paths(self, paths: list[Path]) -> None:
        """Videos (one timeline), or exactly one .toml whose parameters are loaded."""
        try:
            if len(paths) == 1 and paths[0].suffix == ".toml":
                self.load_params(load_toml(paths[0]))
                return
            self.open_videos(sorted(paths))
        except UserError as error:
            self.show_error(str(error))

    def load_params(self, params: dict) -> None:
        """Set every widget from a settings dict and open its videos."""
        self.panel.load(params)
        if params.get("video_paths"):
            self.open_videos([Path(p) for p in params["video_paths"]], keep_params=True)
        if params.get("use_bkg"):
            self._background_toggled(True)

    def open_videos(self, paths: list[Path], keep_params: bool = False) -> None:
        from idtracker.adapters.video.opencv_video import OpenCvVideoSource

        self.video = OpenCvVideoSource(paths)
        self.background = None
        intervals = self.panel.params()["tracking_intervals"] if keep_params else None
        self.panel.set_videos(paths, self.video.number_of_frames)
        if intervals:
            self.panel.load({**self.panel.params(), "tracking_intervals": intervals})
        self.player.open(functools.lru_cache(FRAME_CACHE)(self._read), self.video.number_of_frames,
                         self.video.frames_per_second)
        self.refresh()

    def _read(self, t: int) -> np.ndarray | None:
        return next(self.video.read_gray(t, t + 1))[1]

    # --- live segmentation -----------------------------------------------------------------
    def refresh(self) -> None:
        """Segment the frame on screen with the panel's parameters and redraw overlay and plot."""
        if self.video is None or getattr(self.player, "current", None) is None:
            return
        params = self.panel.params()
        gray = self.player.current
        background = self.background if params["use_bkg"] else None
        viewing = self.panel.background_view.isChecked() and background is not None
        self.player.image.setImage(background if viewing else gray, levels=(0, 255), autoLevels=False)
        if params["use_bkg"] and background is None:
            self.player.set_overlay(None)
            self.plot.show_blobs(np.zeros(0), params["number_of_animals"], params["area_ths"][0])
            return
        try:
            blobs = self.preview(gray, tuple(params["intensity_ths"]), tuple(params["area_ths"]), params["roi_list"],
                                 background)
        except (UserError, ValueError) as error:
            self.status.showMessage(str(error))
            return
        self.last_blobs = blobs
        self.player.set_overlay(self._overlay(gray.shape, blobs.contours, params["roi_list"]))
        self.plot.show_blobs(blobs.areas, params["number_of_animals"], params["area_ths"][0],
                             self._in_intervals(params["tracking_intervals"]))
        self._show_exclusive(params["roi_list"])

    def _overlay(self, shape: tuple[int, int], contours: list[np.ndarray], roi_list) -> np.ndarray:
        import cv2

        rgba = np.zeros((*shape, 4), np.uint8)
        if roi_list:
            mask = self.preview.roi_mask(roi_list, shape[1], shape[0])
            rgba[mask == 0] = OUTSIDE_ROI_RGBA
        filled = np.zeros(shape, np.uint8)
        cv2.drawContours(filled, [c.reshape(-1, 1, 2).astype(np.int32) for c in contours], -1, 1, cv2.FILLED)
        rgba[filled > 0] = OVERLAY_RGBA
        return rgba

    def _in_intervals(self, intervals) -> bool:
        return not intervals or any(a <= self.player.frame < b for a, b in intervals)

    def _show_exclusive(self, roi_list) -> None:
        regions = self.container.images().roi_regions(roi_list, self.video.width, self.video.height)[1] if roi_list else 0
        self.panel.exclusive.setVisible(regions > 1)

    # --- background --------------------------------------------------------------------------
    def _background_toggled(self, on: bool) -> None:
        if not on or self.video is None:
            self.background = None
            self.refresh()
            return
        from idtracker.application.compute_background import background_image
        from idtracker.domain.episodes import normalise_intervals

        params = self.panel.params()
        video, images = self.video, self.container.images()
        intervals = normalise_intervals(params["tracking_intervals"], video.number_of_frames)
        stat = params.get("background_subtraction_stat", "median")
        self.status.showMessage(f"computing the {stat} background...")
        self._worker = BackgroundWorker(lambda progress: background_image(video, images, stat, 50, intervals,
                                                                          progress)[0])
        self._worker.progressed.connect(self._background_progress)
        self.background_cancel.setVisible(True)
        self._worker.done.connect(self._background_ready)
        self._worker.failed.connect(self._background_failed)
        self.threads.start(self._worker, self._worker.done, self._worker.failed)

    def _background_progress(self, done: int, total: int) -> None:
        self.background_bar.setVisible(True)
        self.background_bar.setRange(0, total)
        self.background_bar.setValue(done)

    def cancel_background(self) -> None:
        """Stop the background computation; background subtraction is turned off again."""
        if getattr(self, "_worker", None) is not None:
            self._worker.cancelled = True

    def _background_finished(self) -> None:
        self.background_bar.setVisible(False)
        self.background_cancel.setVisible(False)

    def _background_failed(self, message: str) -> None:
        self._background_finished()
        self.panel.background_box.blockSignals(True)
        self.panel.background_box.setChecked(False)
        self.panel.background_box.blockSignals(False)
        self.show_error(message)
        self.refresh()

    def _background_ready(self, background: np.ndarray) -> None:
        self._background_finished()
        self.background = background
        self.status.showMessage("background ready", 3000)
        self.refresh()

    # --- ROIs --------------------------------------------------------------------------------
    def _roi_adding(self, adding: bool) -> None:
        if adding:
            self._roi_points = []
            self._roi_curve.setData([], [])
            return
        kind = self.panel.roi_kind.currentText()
        points = self._roi_points
        self._roi_points = []
        self._roi_curve.setData([], [])
        if "Polygon" in kind and len(points) >= 3:
            self.panel.add_roi(f"{kind} " + str([[round(float(x), 1), round(float(y), 1)] for x, y in points]))
        elif "Ellipse" in kind and len(points) >= 5:
            centre, axes, angle = ellipse_through(np.array(points))
            self.panel.add_roi(f"{kind} " + str({"center": list(centre), "axes": list(axes), "angle": angle}))
        elif points:
            self.status.showMessage(f"{kind} needs at least {3 if 'Polygon' in kind else 5} points; not added", 5000)

    def _roi_click(self, x: float, y: float, button: int) -> None:
        if not self.panel.roi_add.isChecked():
            return
        if button == 1:
            self._roi_points.append((x, y))
        elif self._roi_points:
            nearest = int(np.argmin([math.hypot(x - px, y - py) for px, py in self._roi_points]))
            self._roi_points.pop(nearest)
        closed = self._roi_points + self._roi_points[:1]
        self._roi_curve.setData([p[0] for p in closed], [p[1] for p in closed])

    # --- save and track ----------------------------------------------------------------------
    def _save_dialog(self) -> None:
        default = (self.panel.params().get("name") or self.panel.name.placeholderText() or "settings") + ".toml"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save parameters", default, "TOML (*.toml)")
        if path:
            self.save(Path(path))

    def save(self, path: Path) -> Path:
        """Write the parameters as a TOML that ``idtrackerai --load`` reads back to the same settings."""
        written = write_settings(path.with_suffix(".toml"), self.panel.params())
        self.status.showMessage(f"parameters saved to {written}", 5000)
        return written

    def track(self) -> None:
        """Check the parameters as the CLI would and close; the caller tracks ``self.settings``."""
        params = self.panel.params()
        try:
            if params["number_of_animals"] == 0 and not params["track_wo_identities"]:
                raise UserError("number_of_animals: set how many animals there are, or track without identities")
            if self.panel.roi_box.isChecked() and not params["roi_list"]:
                raise UserError("roi_list: the ROI is enabled but no region was added")
            self.settings = structure_settings(params)
        except UserError as error:
            self.show_error(str(error))
            return
        self.close()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """A background still being computed is cancelled and waited for: its thread must not outlive the window."""
        self.threads.stop_all()
        super().closeEvent(event)

    def show_error(self, message: str) -> None:
        self.status.showMessage(message)
        if not QtWidgets.QApplication.platformName() == "offscreen":
            QtWidgets.QMessageBox.warning(self, "idtracker", message)


def run_app(params: dict) -> Settings | None:
    """Show the window until it closes; the settings to track, or None when closed without tracking."""
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    window = SegmentationWindow(params)
    window.show()
    app.exec()
    return window.settings
