"""A video player widget: zoomable canvas, overlays, and idtracker.ai's keys (Space, D/A, arrows, 1-9).

Frames come from a callable (global frame -> gray uint8 image), so the player holds no video
code; the canvas is pyqtgraph (fast image display, wheel zoom about the cursor, drag to pan).
Overlays (filled blobs, ROI outlines, labels) are layers the app sets for the current frame.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from qtpy import QtCore, QtGui, QtWidgets

#: Playback speeds for keys 1-9: x 2^(k-1) frames per tick.
SPEED_KEYS = 9
TICK_MS = 40


class VideoPlayer(QtWidgets.QWidget):
    """Shows frame t of a video and lets the user move through it.

    Signals:
        frame_changed(int): the frame shown changed (the app redraws its overlays).
        clicked(float, float, int): a click on the canvas in image coordinates, and the mouse button.
    """

    frame_changed = QtCore.Signal(int)
    clicked = QtCore.Signal(float, float, int)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._read: Callable[[int], np.ndarray | None] | None = None
        self._frames = 0
        self._speed = 1
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("k")
        self.view = self.canvas.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.overlay = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.image)
        self.view.addItem(self.overlay)
        self.view.scene().sigMouseClicked.connect(self._on_click)
        self.play_button = QtWidgets.QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(self._on_play)
        self.spin = QtWidgets.QSpinBox()
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.time_label = QtWidgets.QLabel("00:00:00")
        self.speed_label = QtWidgets.QLabel("")
        self.spin.valueChanged.connect(self.set_frame)
        self.slider.valueChanged.connect(self.set_frame)
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(lambda: self.set_frame((self.frame + self._speed) % max(self._frames, 1)))
        controls = QtWidgets.QHBoxLayout()
        for widget in (self.play_button, self.spin, self.slider, self.time_label, self.speed_label):
            controls.addWidget(widget)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(controls)
        self.fps = 25.0
        self.frame = 0
        self._keys()

    def _keys(self) -> None:
        shortcuts = {"Space": lambda: self.play_button.toggle(), "D": lambda: self.step(1), "Right": lambda: self.step(1),
                     "A": lambda: self.step(-1), "Left": lambda: self.step(-1)}
        for k in range(1, SPEED_KEYS + 1):
            shortcuts[str(k)] = lambda k=k: self.set_speed(2 ** (k - 1))
        for key, action in shortcuts.items():
            shortcut = QtGui.QShortcut(QtGui.QKeySequence(key), self)
            shortcut.setContext(QtCore.Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(action)

    def open(self, read: Callable[[int], np.ndarray | None], frames: int, fps: float) -> None:
        """Show a new video: ``read`` gives gray frames by global index."""
        self._read, self._frames, self.fps = read, frames, fps
        for widget in (self.spin, self.slider):
            widget.blockSignals(True)
            widget.setRange(0, max(frames - 1, 0))
            widget.blockSignals(False)
        self.frame = -1
        self.set_frame(0)
        self.view.autoRange(padding=0)

    def set_frame(self, t: int) -> None:
        """Show frame ``t`` (wrapped into the video) and tell the app."""
        if self._read is None or not self._frames:
            return
        t = int(t) % self._frames
        if t == self.frame:
            return
        self.frame = t
        gray = self._read(t)
        self.current = gray if gray is not None else np.full((16, 16), 128, np.uint8)
        self.image.setImage(self.current, levels=(0, 255), autoLevels=False)
        for widget in (self.spin, self.slider):
            widget.blockSignals(True)
            widget.setValue(t)
            widget.blockSignals(False)
        seconds = int(t / max(self.fps, 1e-9))
        self.time_label.setText(f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}")
        self.frame_changed.emit(t)

    def step(self, delta: int) -> None:
        self.set_frame(self.frame + delta)

    def set_speed(self, speed: int) -> None:
        self._speed = speed
        self.speed_label.setText(f"Speed x{speed}" if speed > 1 else "")

    def set_overlay(self, rgba: np.ndarray | None) -> None:
        """An (H, W, 4) uint8 layer drawn over the frame (None clears it)."""
        self.overlay.setImage(np.zeros((1, 1, 4), np.uint8) if rgba is None else rgba, autoLevels=False,
                              levels=(0, 255))

    def _on_play(self, playing: bool) -> None:
        self.play_button.setText("Pause" if playing else "Play")
        (self._timer.start if playing else self._timer.stop)()

    def _on_click(self, event) -> None:
        point = self.view.mapSceneToView(event.scenePos())
        button = 1 if event.button() == QtCore.Qt.MouseButton.LeftButton else 2
        self.clicked.emit(float(point.x()), float(point.y()), button)
