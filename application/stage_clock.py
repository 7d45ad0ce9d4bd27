"""Wall-clock timing of the pipeline's stages, for the event log and session.json."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone


class StageClock:
    """Records start, finish and duration of named stages."""

    def __init__(self) -> None:
        self.timers: dict[str, dict] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[dict]:
        """Time the block; the yielded dict gets ``duration_s`` when it ends."""
        record = {"name": name, "start_time": datetime.now(timezone.utc).isoformat()}
        self.timers[name] = record
        t0 = time.perf_counter()
        try:
            yield record
        finally:
            record["finish_time"] = datetime.now(timezone.utc).isoformat()
            record["duration_s"] = round(time.perf_counter() - t0, 4)

    def durations(self) -> dict[str, float]:
        return {k: v["duration_s"] for k, v in self.timers.items() if "duration_s" in v}
