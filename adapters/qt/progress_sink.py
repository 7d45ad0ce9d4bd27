"""An EventSink for windows: progress and events become Qt signals (safe to emit from a worker thread)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from qtpy import QtCore


class QtEventSink(QtCore.QObject):
    """Implements the EventSink port; ``forward`` (the log's sink) still receives every event."""

    progressed = QtCore.Signal(str, int, int)
    published = QtCore.Signal(object)

    def __init__(self, forward=None):
        super().__init__()
        self.forward = forward

    def publish(self, event) -> None:
        if self.forward is not None:
            self.forward.publish(event)
        self.published.emit(event)

    @contextmanager
    def progress(self, description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        done = 0

        def advance(n: int = 1) -> None:
            nonlocal done
            done += n
            self.progressed.emit(description, done, total or 0)

        self.progressed.emit(description, 0, total or 0)
        yield advance
