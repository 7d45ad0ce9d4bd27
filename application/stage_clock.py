"""Wall-clock timing of the pipeline's stages, for the event log and session.json."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone


class StageClock:
    """Records start, finish and duration of named stages."""

    def __init__(self) -> None:
        self.timers: dict[str, dict] = {}
        self._started: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[dict]:
        """Time the block; the yielded dict gets ``duration_s`` when it ends (or at ``finish``)."""
        self.timers[name] = {"name": name, "start_time": datetime.now(timezone.utc).isoformat()}
        self._started[name] = time.perf_counter()
        try:
            yield self.timers[name]
        finally:
            self.finish(name)

    def finish(self, name: str) -> None:
        """End a running stage now, before its block does: session.json is written inside the
        whole session's stage and must still carry that stage's finish and duration. Later calls
        keep the first finish."""
        record = self.timers[name]
        if "finish_time" not in record:
            record["finish_time"] = datetime.now(timezone.utc).isoformat()
            record["duration_s"] = round(time.perf_counter() - self._started[name], 4)
            record["peak_rss_mb"] = peak_rss_mb()

    def durations(self) -> dict[str, float]:
        return {k: v["duration_s"] for k, v in self.timers.items() if "duration_s" in v}


def peak_rss_mb() -> float:
    """Largest resident memory so far of this process or any of its finished worker processes, in MB
    (what a stage's end has needed at most; ru_maxrss is in kB on Linux, bytes on macOS)."""
    scale = 1 / 2**20 if sys.platform == "darwin" else 1 / 1024
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return round(peak * scale, 1)
