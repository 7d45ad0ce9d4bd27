"""An EventSink for software that embeds the tracker: every event (progress included) to a callback, and cancel.

It wraps the sink that writes the log and the terminal, so the embedding program gets the same
events the log does, as they happen, in the tracking thread. A set ``cancel`` event stops the
session at its next event or progress step (the checkpoints the use cases already pass through).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from idtracker.application.errors import Cancelled
from idtracker.application.events import Event, ProgressAdvanced


class CallbackEventSink:
    """Implements the EventSink port on top of ``forward``."""

    def __init__(self, forward, on_event: Callable[[Event], None] | None = None,
                 cancel: threading.Event | None = None):
        self.forward, self.on_event, self.cancel = forward, on_event, cancel

    def _check(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled("tracking cancelled by the embedding program")

    def publish(self, event: Event) -> None:
        self.forward.publish(event)
        if self.on_event is not None:
            self.on_event(event)
        self._check()

    @contextmanager
    def progress(self, description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        self._check()
        done = 0
        with self.forward.progress(description, total) as forward_advance:
            def advance(n: int = 1) -> None:
                nonlocal done
                done += n
                forward_advance(n)
                if self.on_event is not None:
                    self.on_event(ProgressAdvanced(description, done, total))
                self._check()

            yield advance

    def __getattr__(self, name: str):
        return getattr(self.forward, name)  # bind_session, close, message of the log's sink
