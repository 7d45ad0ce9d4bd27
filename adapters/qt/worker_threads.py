"""The threads a window runs its long work in (a background, a tracked video), off the GUI thread.

A ``QThread`` destroyed while it still runs aborts the whole process (Qt's fatal "destroyed while
thread is still running"), and a window's threads are destroyed with the window. A worker's
``done`` reaches the GUI before its thread has wound down, so a window closed right after its
result arrived could take the process with it. Windows therefore start workers here and call
``stop_all`` when they close: cancellable workers are asked to stop, and every thread is waited for.
"""

from __future__ import annotations

from qtpy import QtCore


class WorkerThreads:
    """Starts workers (objects with a ``run`` slot) in threads owned by ``owner``; waits for them all on ``stop_all``."""

    def __init__(self, owner: QtCore.QObject):
        self._owner = owner
        self._started: list[tuple[QtCore.QThread, QtCore.QObject]] = []

    def start(self, worker: QtCore.QObject, *ending_signals: QtCore.SignalInstance) -> None:
        """Run ``worker.run`` in a new thread that quits once any of ``ending_signals`` is emitted."""
        self._forget_finished()
        thread = QtCore.QThread(self._owner)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        for signal in ending_signals:
            signal.connect(thread.quit)
        self._started.append((thread, worker))
        thread.start()

    def running(self) -> int:
        """How many threads have not finished yet."""
        return sum(not thread.isFinished() for thread, _ in self._started)

    def stop_all(self) -> None:
        """Ask cancellable workers (a ``cancelled`` attribute) to stop, then wait for every thread to end."""
        for thread, worker in self._started:
            if hasattr(worker, "cancelled"):
                worker.cancelled = True
            thread.quit()
        for thread, _ in self._started:
            thread.wait()
        self._started.clear()

    def _forget_finished(self) -> None:
        """Threads that have ended are deleted, so toggling work on and off does not pile them up."""
        for thread, _ in self._started:
            if thread.isFinished():
                thread.wait()
                thread.deleteLater()
        self._started = [(thread, worker) for thread, worker in self._started if not thread.isFinished()]
