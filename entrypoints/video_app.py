"""``idtrackerai_video`` without ``--run``: a small dialog with the command's options, a progress bar and cancel-free runs.

The dialog calls the same ``MakeTrackedVideo`` use case as ``--run``, in a worker thread, with
its progress shown through a Qt event sink (the events still reach ``./idtrackerai.log``).
"""

from __future__ import annotations

from pathlib import Path

from qtpy import QtCore, QtWidgets

from idtracker.adapters.qt.progress_sink import QtEventSink
from idtracker.adapters.qt.worker_threads import WorkerThreads
from idtracker.application.errors import UserError
from idtracker.application.tracked_video import VideoOptions

from .container import local_container


class VideoWorker(QtCore.QObject):
    done = QtCore.Signal(list)
    failed = QtCore.Signal(str)

    def __init__(self, make, session: Path, options: VideoOptions):
        super().__init__()
        self._make, self._session, self._options = make, session, options

    def run(self) -> None:
        try:
            self.done.emit([str(p) for p in self._make(self._session, self._options)])
        except (UserError, OSError) as error:
            self.failed.emit(str(error))


class VideoDialog(QtWidgets.QDialog):
    """Session, options, Generate; the files written end up in ``written``."""

    def __init__(self, session: Path | None = None):
        super().__init__()
        self.setWindowTitle("idtracker - video generator")
        self.container = local_container(console=False)
        self.threads = WorkerThreads(self)
        self.finished.connect(self.threads.stop_all)
        self.sink = QtEventSink(self.container.events())
        self.written: list[str] = []
        self.session = QtWidgets.QLineEdit(str(session or ""))
        browse = QtWidgets.QPushButton("Browse...")
        browse.clicked.connect(self._browse)
        self.individual = QtWidgets.QCheckBox("One video per animal (and their grid)")
        self.gray = QtWidgets.QCheckBox("Gray")
        self.labels = QtWidgets.QCheckBox("Draw identity labels")
        self.labels.setChecked(True)
        self.trail, self.start, self.end, self.size = (QtWidgets.QSpinBox() for _ in range(4))
        self.trail.setRange(0, 1000)
        self.trail.setValue(20)
        for spin in (self.start, self.end):
            spin.setRange(0, 10**8)
        self.end.setSpecialValueText("last")
        self.size.setRange(0, 1000)
        self.size.setSingleStep(2)
        self.size.setSpecialValueText("body length")
        self.progress = QtWidgets.QProgressBar()
        self.message = QtWidgets.QLabel("")
        self.generate = QtWidgets.QPushButton("Generate and save video")
        self.generate.clicked.connect(self.run)
        self.sink.progressed.connect(self._progressed)
        form = QtWidgets.QFormLayout(self)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.session)
        row.addWidget(browse)
        form.addRow("Session", row)
        for label, widget in (("", self.individual), ("", self.gray), ("", self.labels), ("Trail length", self.trail),
                              ("First frame", self.start), ("End frame", self.end), ("Tile size (px)", self.size),
                              ("", self.generate), ("", self.progress), ("", self.message)):
            form.addRow(label, widget)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """A video being generated is finished before the dialog goes (closed, or Esc through ``finished``)."""
        self.threads.stop_all()
        super().closeEvent(event)

    def _browse(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Session folder")
        if folder:
            self.session.setText(folder)

    def options(self) -> VideoOptions:
        return VideoOptions(self.start.value(), self.end.value() or None, self.trail.value(), self.gray.isChecked(),
                            self.labels.isChecked(), self.individual.isChecked(), self.size.value() or None)

    def run(self) -> None:
        """Generate in a worker thread with the dialog's options."""
        session = Path(self.session.text())
        if not (session / "session.json").is_file():
            self.message.setText(f"{session} is not a session folder")
            return
        self.generate.setEnabled(False)
        self._worker = VideoWorker(self.container.tracked_video(events=self.sink), session, self.options())
        self._worker.done.connect(self._done)
        self._worker.failed.connect(self._failed)
        self.threads.start(self._worker, self._worker.done, self._worker.failed)

    def _progressed(self, description: str, done: int, total: int) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)

    def _done(self, files: list) -> None:
        self.written = files
        self.generate.setEnabled(True)
        self.message.setText("written " + ", ".join(Path(f).name for f in files))

    def _failed(self, message: str) -> None:
        self.generate.setEnabled(True)
        self.message.setText(message)
