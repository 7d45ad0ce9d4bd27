"""The validator (``idtrackerai_validate [SESSION]``): look at the identities, jump to the errors, fix them, save.

A window over the ``Validation`` use case: the player shows the session's video with each
identity's contour, centroid, label and trail; the error list (missing ids, blobs without id,
duplicated ids, jumps above a chosen speed) seeks to an error on click; edits (change an identity
through its fragment, swap two identities from a frame on, remove or place a centroid,
interpolate a gap) go through the session and can be undone; Save writes validated trajectories.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from qtpy import QtCore, QtGui, QtWidgets

from idtracker.adapters.qt.video_player import VideoPlayer
from idtracker.application.errors import UserError
from idtracker.application.validation import ValidationSession
from idtracker.domain.identity_colors import identity_colours
from idtracker.domain.validation import JUMP_SIGMAS, MISS_ID

from .container import local_container

TRAIL = 30
FRAME_CACHE = 128
ERROR_COLUMNS = ("Type", "Id", "Start", "Length")


class ValidatorWindow(QtWidgets.QMainWindow):
    """Player, error list and editing tools over one open session."""

    def __init__(self, folder: Path | None = None):
        super().__init__()
        self.setWindowTitle("idtracker - validator")
        self.container = local_container(console=False)
        self.validation = self.container.validation()
        self.session: ValidationSession | None = None
        self.selected_blob: int | None = None
        self.player = VideoPlayer()
        self.errors_table = QtWidgets.QTableWidget(0, len(ERROR_COLUMNS))
        self.errors_table.setHorizontalHeaderLabels(ERROR_COLUMNS)
        self.errors_table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.errors_table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.errors_table.setSortingEnabled(True)
        self.jump_sigmas = QtWidgets.QDoubleSpinBox()
        self.jump_sigmas.setRange(1, 100)
        self.jump_sigmas.setValue(JUMP_SIGMAS)
        self.new_identity = QtWidgets.QSpinBox()
        self.propagate = QtWidgets.QCheckBox("Propagate through the fragment")
        self.propagate.setChecked(True)
        self.swap_a, self.swap_b = QtWidgets.QSpinBox(), QtWidgets.QSpinBox()
        self.draw = {name: QtWidgets.QCheckBox(name) for name in ("Labels", "Contours", "Centroids", "Trails")}
        for box in self.draw.values():
            box.setChecked(True)
        self.selection_label = QtWidgets.QLabel("no blob selected")
        self.status = self.statusBar()
        self._labels: list[pg.TextItem] = []
        self._trails: list[pg.PlotDataItem] = []
        self._centroids = pg.ScatterPlotItem(size=7, pen=None)
        self.player.view.addItem(self._centroids)
        self._layout()
        self._connect()
        self.resize(1280, 800)
        if folder is not None:
            self.open_session(folder)

    def _button(self, text: str, slot, shortcut: str | None = None) -> QtWidgets.QPushButton:
        button = QtWidgets.QPushButton(text + (f" [{shortcut}]" if shortcut else ""))
        button.clicked.connect(slot)
        if shortcut:
            action = QtGui.QShortcut(QtGui.QKeySequence(shortcut), self)
            action.activated.connect(slot)
        return button

    def _layout(self) -> None:
        left = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(left)
        column.addWidget(self._button("Open session...", self._open_dialog, "Ctrl+O"))
        column.addWidget(QtWidgets.QLabel("Errors"))
        column.addWidget(self.errors_table, 1)
        jump_row = QtWidgets.QHBoxLayout()
        jump_row.addWidget(QtWidgets.QLabel("Jumps above mean + k std, k ="))
        jump_row.addWidget(self.jump_sigmas)
        column.addLayout(jump_row)
        column.addWidget(self._button("Refresh", self.refresh_errors, "U"))
        column.addWidget(self.selection_label)
        id_row = QtWidgets.QHBoxLayout()
        id_row.addWidget(QtWidgets.QLabel("New identity (0 = none)"))
        id_row.addWidget(self.new_identity)
        column.addLayout(id_row)
        column.addWidget(self.propagate)
        column.addWidget(self._button("Change identity", self.change_identity, "C"))
        column.addWidget(self._button("Remove centroid", self.remove_centroid, "R"))
        swap_row = QtWidgets.QHBoxLayout()
        for widget in (QtWidgets.QLabel("Swap"), self.swap_a, QtWidgets.QLabel("and"), self.swap_b):
            swap_row.addWidget(widget)
        column.addLayout(swap_row)
        column.addWidget(self._button("Swap from this frame on", self.swap))
        column.addWidget(self._button("Interpolate selected gap", self.interpolate, "I"))
        undo_row = QtWidgets.QHBoxLayout()
        undo_row.addWidget(self._button("Undo", self.undo, "Ctrl+Z"))
        undo_row.addWidget(self._button("Redo", self.redo, "Ctrl+Shift+Z"))
        column.addLayout(undo_row)
        draw_row = QtWidgets.QHBoxLayout()
        for box in self.draw.values():
            draw_row.addWidget(box)
        column.addLayout(draw_row)
        column.addWidget(self._button("Save", self.save, "Ctrl+S"))
        tabs = QtWidgets.QTabWidget()
        tabs.addTab(left, "Errors and edits")
        tabs.addTab(self._labels_tab(), "Labels")
        tabs.addTab(self._groups_tab(), "Groups")
        tabs.addTab(self._length_tab(), "Length calibration")
        splitter = QtWidgets.QSplitter()
        splitter.addWidget(tabs)
        splitter.addWidget(self.player)
        splitter.setSizes([360, 920])
        self.setCentralWidget(splitter)

    def _labels_tab(self) -> QtWidgets.QWidget:
        self.labels_table = QtWidgets.QTableWidget(0, 2)
        self.labels_table.setHorizontalHeaderLabels(("Identity", "Label"))
        self.labels_table.cellChanged.connect(self._label_edited)
        return self.labels_table

    def _groups_tab(self) -> QtWidgets.QWidget:
        tab = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(tab)
        self.group_name, self.group_ids = QtWidgets.QLineEdit(), QtWidgets.QLineEdit()
        self.group_name.setPlaceholderText("group name")
        self.group_ids.setPlaceholderText("identities, e.g. 1, 2, 5")
        self.groups_list = QtWidgets.QListWidget()
        for widget in (self.group_name, self.group_ids, self._button("Set group (no identities removes it)",
                                                                      self.set_group), self.groups_list):
            column.addWidget(widget)
        return tab

    def _length_tab(self) -> QtWidgets.QWidget:
        tab = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(tab)
        self.calibrate = QtWidgets.QPushButton("Click two points on the video")
        self.calibrate.setCheckable(True)
        self.calibrate.toggled.connect(lambda on: setattr(self, "_calibration_points", []))
        self.real_distance = QtWidgets.QDoubleSpinBox()
        self.real_distance.setRange(0.0001, 1e6)
        self.real_distance.setDecimals(4)
        self.real_distance.setValue(1.0)
        self.calibrations_list = QtWidgets.QListWidget()
        self.length_label = QtWidgets.QLabel("no calibration")
        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel("Real distance between them"))
        row.addWidget(self.real_distance)
        column.addWidget(self.calibrate)
        column.addLayout(row)
        column.addWidget(self.calibrations_list)
        column.addWidget(self.length_label)
        self._calibration_points: list[tuple[float, float]] = []
        return tab

    def _show_metadata(self) -> None:
        """Labels, groups and calibrations of the session in their tabs."""
        self.labels_table.blockSignals(True)
        self.labels_table.setRowCount(len(self.session.labels))
        for k, label in enumerate(self.session.labels):
            number = QtWidgets.QTableWidgetItem(str(k + 1))
            number.setFlags(number.flags() & ~QtCore.Qt.ItemFlag.ItemIsEditable)
            self.labels_table.setItem(k, 0, number)
            self.labels_table.setItem(k, 1, QtWidgets.QTableWidgetItem(label))
        self.labels_table.blockSignals(False)
        self.groups_list.clear()
        self.groups_list.addItems([f"{name}: {', '.join(map(str, ids))}" for name, ids in self.session.groups.items()])
        self.calibrations_list.clear()
        self.calibrations_list.addItems([f"{c['pixels']:.1f} px = {c['distance']:g}" for c in self.session.calibrations])
        unit = self.session.length_unit
        self.length_label.setText("no calibration" if unit is None else f"length unit: {unit:.3f} px per unit")
        for k, label in enumerate(self._labels):
            label.setText(self.session.labels[k])

    def _label_edited(self, row: int, column: int) -> None:
        if column == 1:
            self.session.set_label(row + 1, self.labels_table.item(row, 1).text())
            self._show_metadata()

    def set_group(self) -> None:
        try:
            ids = [int(v) for v in self.group_ids.text().replace(",", " ").split()]
            self.session.set_group(self.group_name.text(), ids)
        except ValueError:
            self.show_error(f"identities: {self.group_ids.text()!r} are not whole numbers")
            return
        except UserError as error:
            self.show_error(str(error))
            return
        self._show_metadata()

    def _connect(self) -> None:
        self.player.frame_changed.connect(lambda _: self.redraw())
        self.player.clicked.connect(self._clicked)
        self.errors_table.cellClicked.connect(self._error_clicked)
        for box in self.draw.values():
            box.toggled.connect(lambda *_: self.redraw())

    # --- session -------------------------------------------------------------------------------
    def _open_dialog(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Open a session folder")
        if folder:
            self.open_session(Path(folder))

    def open_session(self, folder: Path) -> None:
        from idtracker.adapters.video.opencv_video import OpenCvVideoSource

        try:
            self.session = self.validation.open(Path(folder))
            videos = [Path(p) for p in self.session.info.get("video_paths") or []]
            missing = [p for p in videos if not p.is_file()]
            if not videos or missing:
                raise UserError(f"{folder}: its video {missing[0] if missing else ''} is not there")
            self.video = OpenCvVideoSource(videos)
        except UserError as error:
            self.show_error(str(error))
            return
        n = self.session.number_of_identities
        self.colours = identity_colours(n)[:, ::-1]  # BGR -> RGB for Qt
        for spin in (self.new_identity, self.swap_a, self.swap_b):
            spin.setRange(0 if spin is self.new_identity else 1, n)
        for item in self._labels + self._trails:
            self.player.view.removeItem(item)
        self._labels = [pg.TextItem(str(k + 1), color=tuple(self.colours[k]), anchor=(0, 1)) for k in range(n)]
        self._trails = [pg.PlotDataItem(pen=pg.mkPen(tuple(self.colours[k]), width=2)) for k in range(n)]
        for item in self._labels + self._trails:
            self.player.view.addItem(item)
        self.setWindowTitle(f"idtracker - validator - {folder}")
        self.player.open(functools.lru_cache(FRAME_CACHE)(self._read), self.session.number_of_frames,
                         self.video.frames_per_second)
        self._show_metadata()
        self.refresh_errors()

    def _read(self, t: int) -> np.ndarray | None:
        return next(self.video.read_gray(t, t + 1))[1]

    # --- drawing -------------------------------------------------------------------------------
    def redraw(self) -> None:
        if self.session is None or getattr(self.player, "current", None) is None:
            return
        import cv2

        t = self.player.frame
        trajectories = self.session.trajectories()
        identity = self.session.state.identity
        blobs = self.session.blobs.blobs
        here = self.session.blobs_at(t)
        rgba = np.zeros((*self.player.current.shape, 4), np.uint8)
        if self.draw["Contours"].isChecked():
            for b in here:
                colour = (*self.colours[identity[b] - 1], 120) if identity[b] > 0 else (255, 255, 255, 90)
                layer = np.zeros(rgba.shape[:2], np.uint8)
                cv2.drawContours(layer, [blobs.contour(b).reshape(-1, 1, 2).astype(np.int32)], -1, 1, cv2.FILLED)
                rgba[layer > 0] = colour
            if self.selected_blob is not None and blobs.frame[self.selected_blob] == t:
                cv2.drawContours(rgba, [blobs.contour(self.selected_blob).reshape(-1, 1, 2).astype(np.int32)], -1,
                                 (255, 255, 0, 255), 2)
        self.player.set_overlay(rgba)
        positions = trajectories[t]
        known = np.flatnonzero(np.isfinite(positions[:, 0]))
        show = self.draw["Centroids"].isChecked()
        self._centroids.setData(pos=positions[known] if show else np.zeros((0, 2)),
                                brush=[pg.mkBrush(tuple(self.colours[k])) for k in known] if show else [])
        for k, label in enumerate(self._labels):
            visible = self.draw["Labels"].isChecked() and np.isfinite(positions[k, 0])
            label.setVisible(bool(visible))
            if visible:
                label.setPos(*positions[k])
        for k, trail in enumerate(self._trails):
            segment = trajectories[max(0, t - TRAIL):t + 1, k]
            if self.draw["Trails"].isChecked():
                trail.setData(segment[:, 0], segment[:, 1], connect="finite")
            else:
                trail.setData([], [])

    # --- errors --------------------------------------------------------------------------------
    def refresh_errors(self) -> None:
        if self.session is None:
            return
        errors = self.session.errors(self.jump_sigmas.value())
        self.errors_table.setSortingEnabled(False)
        self.errors_table.setRowCount(len(errors))
        for row, error in enumerate(errors):
            for col, value in enumerate((error.kind, error.identity, error.start, error.length)):
                item = QtWidgets.QTableWidgetItem()
                item.setData(QtCore.Qt.ItemDataRole.DisplayRole, value)
                self.errors_table.setItem(row, col, item)
        self.errors_table.setSortingEnabled(True)
        self.errors_table.resizeColumnsToContents()
        self.status.showMessage(f"{len(errors)} errors", 5000)
        self.redraw()

    def _error_at(self, row: int) -> tuple[str, int, int, int]:
        return tuple(self.errors_table.item(row, c).data(QtCore.Qt.ItemDataRole.DisplayRole) for c in range(4))

    def _error_clicked(self, row: int, _column: int) -> None:
        kind, identity, start, length = self._error_at(row)
        self.player.set_frame(max(0, start - 1) if kind == MISS_ID else start)
        if identity:
            self.new_identity.setValue(identity)
            self.swap_a.setValue(identity)

    # --- selection and edits -------------------------------------------------------------------
    def _clicked(self, x: float, y: float, button: int) -> None:
        if self.session is None:
            return
        if self.calibrate.isChecked():
            self._calibration_points.append((x, y))
            if len(self._calibration_points) == 2:
                try:
                    self.session.add_calibration(*self._calibration_points, self.real_distance.value())
                except UserError as error:
                    self.show_error(str(error))
                self.calibrate.setChecked(False)
                self._show_metadata()
            return
        here = self.session.blobs_at(self.player.frame)
        if button == 2:  # right click: place the chosen identity's centroid here
            self._do(lambda: self.session.place(self.player.frame, self.new_identity.value(), (x, y)))
            return
        if not len(here):
            return
        centroids = self.session.blobs.blobs.centroid[here]
        self.selected_blob = int(here[np.argmin(np.hypot(centroids[:, 0] - x, centroids[:, 1] - y))])
        identity = int(self.session.state.identity[self.selected_blob])
        self.selection_label.setText(f"blob {self.selected_blob}: identity {identity or 'none'}, fragment "
                                     f"{int(self.session.blobs.fragment[self.selected_blob])}")
        self.redraw()

    def _do(self, edit) -> None:
        try:
            edit()
        except UserError as error:
            self.show_error(str(error))
            return
        self.refresh_errors()

    def change_identity(self) -> None:
        if self.selected_blob is None:
            self.show_error("select a blob first (click on it)")
            return
        self._do(lambda: self.session.change_identity(self.selected_blob, self.new_identity.value(),
                                                      self.propagate.isChecked()))

    def remove_centroid(self) -> None:
        if self.selected_blob is None:
            self.show_error("select a blob first (click on it)")
            return
        self._do(lambda: self.session.change_identity(self.selected_blob, 0, propagate=False))

    def swap(self) -> None:
        self._do(lambda: self.session.swap(self.swap_a.value(), self.swap_b.value(), self.player.frame))

    def interpolate(self) -> None:
        rows = self.errors_table.selectionModel().selectedRows() if self.errors_table.selectionModel() else []
        if not rows:
            self.show_error("select a 'Miss id' error in the list first")
            return
        kind, identity, start, length = self._error_at(rows[0].row())
        if kind != MISS_ID:
            self.show_error("interpolation fills a 'Miss id' gap; select one")
            return
        self._do(lambda: self.session.interpolate(identity, start, start + length))

    def undo(self) -> None:
        if self.session is not None:
            self.session.undo()
            self.refresh_errors()

    def redo(self) -> None:
        if self.session is not None:
            self.session.redo()
            self.refresh_errors()

    def save(self) -> list[Path]:
        if self.session is None:
            return []
        files = self.validation.save(self.session)
        self.status.showMessage(f"saved {len(files)} files (validated trajectories in {self.session.folder / 'trajectories'})",
                                8000)
        return files

    def show_error(self, message: str) -> None:
        self.status.showMessage(message, 8000)
        if QtWidgets.QApplication.platformName() != "offscreen":
            QtWidgets.QMessageBox.warning(self, "idtracker", message)
