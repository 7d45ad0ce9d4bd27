"""Event sink keeping events in memory, for tests and for software embedding the tracker.

Tests assert on the events a use case published; acquisition software passes ``on_event`` to
receive each event as it happens instead of parsing the log file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import attrs
from idtracker.application.events import Event

E = TypeVar("E", bound=Event)


@attrs.define
class ProgressBlock:
    """One ``progress`` block: what it was counting and how far it got.

    Attributes:
        description: What the block was doing, as shown to users.
        total: Units expected, or None when unknown in advance.
        completed: Units advanced so far.
        finished: Whether the block has exited (normally or by an exception).
    """

    description: str
    total: int | None
    completed: int = 0
    finished: bool = False


class InMemoryEventSink:
    """:class:`~idtracker.application.ports.EventSink` that records instead of displaying.

    Args:
        on_event: Called with each event right after it is recorded, in the publishing thread.
    """

    def __init__(self, on_event: Callable[[Event], None] | None = None):
        self.events: list[Event] = []
        self.progress_blocks: list[ProgressBlock] = []
        self._on_event = on_event

    def publish(self, event: Event) -> None:
        """Record ``event`` and hand it to the callback, if any."""
        self.events.append(event)
        if self._on_event is not None:
            self._on_event(event)

    @contextmanager
    def progress(self, description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        """Record a progress block; its ``completed`` count follows the calls to ``advance``."""
        block = ProgressBlock(description, total)
        self.progress_blocks.append(block)

        def advance(n: int = 1) -> None:
            block.completed += n

        try:
            yield advance
        finally:
            block.finished = True

    def of_type(self, event_type: type[E]) -> list[E]:
        """The recorded events of one type, in publishing order."""
        return [event for event in self.events if isinstance(event, event_type)]

    @property
    def names(self) -> list[str]:
        """The recorded event names, e.g. to assert on the order of pipeline stages."""
        return [event.name for event in self.events]
