"""Watch-folder auto-tracking: videos that arrive whole are queued, tracked once each, and remembered.

The daemon entrypoint only feeds this use case the paths its file watcher saw and calls it in a
loop; deciding when a video has arrived, queueing, tracking and recording the outcome live here.
A video has arrived when its size and modification time have not changed for ``settle_s``
seconds and it decodes from its first to its last frame (a copy still being written is never
tracked; one that stops growing but does not decode is recorded as failed, and queued again
when the file changes).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import attrs

from . import events as ev
from .errors import UserError
from .ports import EventSink
from .settings import Settings, dump_settings

#: File endings the daemon treats as videos.
VIDEO_SUFFIXES = (".avi", ".mp4", ".mov", ".mkv", ".mpg", ".mpeg", ".m4v", ".wmv")
STATES = ("queued", "running", "done", "failed")


@attrs.frozen
class Job:
    """One video's row in the queue."""

    path: Path
    state: str
    size: int
    mtime: float
    attempts: int = 0
    error: str | None = None
    log: str | None = None
    session_folder: str | None = None


@attrs.frozen
class FileFacts:
    size: int
    mtime: float


class JobQueue(Protocol):
    """Durable queue of jobs (sqlite in the watched folder)."""

    def get(self, path: Path) -> Job | None: ...

    def queue(self, path: Path, size: int, mtime: float) -> None: ...

    def next_queued(self) -> Job | None: ...

    def start(self, path: Path) -> int: ...

    def finish(self, path: Path, session_folder: Path) -> None: ...

    def fail(self, path: Path, error: str, log: str) -> None: ...

    def requeue_running(self) -> list[Path]: ...

    def all(self) -> list[Job]: ...


class SessionLauncher(Protocol):
    """Runs sessions elsewhere (Dask tasks on a cluster), several at once."""

    @property
    def capacity(self) -> int:
        """Sessions it runs at once."""
        ...

    @property
    def running(self) -> int: ...

    def submit(self, video: Path, parameters: dict) -> None:
        """Track ``video`` with ``parameters`` (plain values, as session.json holds them)."""
        ...

    def finished(self) -> list[tuple[Path, Path | None, str | None]]:
        """(video, session folder, error) of each session that ended since the last call."""
        ...

    def close(self) -> None: ...


def is_video(path: Path) -> bool:
    """A video file the daemon should look at (not one inside a session folder, not hidden)."""
    return (path.suffix.lower() in VIDEO_SUFFIXES and not path.name.startswith(".")
            and not any(part.startswith("session_") for part in path.parts[:-1]))


@attrs.define
class AutoTracking:
    """Arrival, queueing and tracking of watched videos.

    Args:
        stat: size and modification time of a file, None if it is gone.
        decodes: None when the video decodes from first to last frame, else why not (one line).
        settings_for: the settings to track a video with (defaults, its sidecar TOML, its path).
        track: runs a session; returns its folder; raises UserError.
        log: where a failed job's details are (the daemon's log).
    """

    queue: JobQueue
    stat: Callable[[Path], FileFacts | None]
    decodes: Callable[[Path], str | None]
    settings_for: Callable[[Path], Settings]
    track: Callable[[Settings], Path]
    events: EventSink
    settle_s: float
    log: str
    clock: Callable[[], float] = time.monotonic
    #: With one, sessions run as its tasks, several at once (``run_distributed``), not here.
    launcher: SessionLauncher | None = None
    _pending: dict[Path, tuple[FileFacts, float]] = attrs.field(factory=dict)
    _started: dict[Path, float] = attrs.field(factory=dict)

    def recover(self) -> list[Path]:
        """Jobs a killed daemon left running go back to the queue; returns them."""
        return self.queue.requeue_running()

    def noticed(self, path: Path) -> None:
        """The watcher saw ``path`` appear or change: look at it until it settles."""
        path = Path(path)
        if is_video(path):
            facts = self.stat(path)
            if facts is not None and (path not in self._pending or self._pending[path][0] != facts):
                self._pending[path] = (facts, self.clock())

    def poll(self) -> list[Path]:
        """Queue the noticed videos that have settled; returns those queued now."""
        queued = []
        for path, (facts, since) in list(self._pending.items()):
            now_facts = self.stat(path)
            if now_facts is None:
                del self._pending[path]
            elif now_facts != facts:
                self._pending[path] = (now_facts, self.clock())
            elif self.clock() - since >= self.settle_s:
                del self._pending[path]
                if self._arrived(path, facts):
                    queued.append(path)
        return queued

    def _arrived(self, path: Path, facts: FileFacts) -> bool:
        job = self.queue.get(path)
        if job is not None and (job.state in ("queued", "running", "done") or
                                (job.size, job.mtime) == (facts.size, facts.mtime)):
            return False  # known, or failed and unchanged since
        self.queue.queue(path, facts.size, facts.mtime)
        problem = self.decodes(path)
        if problem is not None:
            self.queue.start(path)
            self.queue.fail(path, problem, self.log)
            self.events.publish(ev.JobFailed(str(path), problem, self.log))
            return False
        self.events.publish(ev.JobQueued(str(path), facts.size))
        return True

    def _failed(self, path: Path, error: str) -> None:
        self.queue.fail(path, error, self.log)
        self.events.publish(ev.JobFailed(str(path), error, self.log))

    @property
    def pending(self) -> int:
        """Videos noticed but not settled yet."""
        return len(self._pending)

    def run_next(self) -> bool:
        """Track the oldest queued video; False when the queue is empty."""
        job = self.queue.next_queued()
        if job is None:
            return False
        attempt = self.queue.start(job.path)
        self.events.publish(ev.JobStarted(str(job.path), attempt))
        t0 = time.perf_counter()
        try:
            folder = self.track(self.settings_for(job.path))
        except UserError as error:
            self._failed(job.path, str(error))
            return True
        except Exception as error:  # noqa: BLE001 - one video's crash must not stop the daemon on it forever
            self._failed(job.path, " ".join(f"{type(error).__name__}: {error}".split()))
            return True
        self.queue.finish(job.path, folder)
        self.events.publish(ev.JobFinished(str(job.path), str(folder), time.perf_counter() - t0))
        return True

    @property
    def running(self) -> int:
        """Sessions running on the launcher now."""
        return 0 if self.launcher is None else self.launcher.running

    def collect(self) -> int:
        """Record the launcher's sessions that ended; returns how many."""
        ended = self.launcher.finished()
        for video, folder, error in ended:
            duration = time.perf_counter() - self._started.pop(video, time.perf_counter())
            if error is None:
                self.queue.finish(video, folder)
                self.events.publish(ev.JobFinished(str(video), str(folder), duration))
            else:
                self._failed(video, error)
        return len(ended)

    def run_distributed(self) -> bool:
        """Record ended sessions and submit queued videos while the launcher has room; False when
        nothing ended and nothing was submitted (the caller waits a tick)."""
        progressed = self.collect() > 0
        while self.launcher.running < self.launcher.capacity:
            job = self.queue.next_queued()
            if job is None:
                break
            progressed = True
            attempt = self.queue.start(job.path)
            self.events.publish(ev.JobStarted(str(job.path), attempt))
            try:
                settings = self.settings_for(job.path)
            except UserError as error:
                self._failed(job.path, str(error))
                continue
            self._started[job.path] = time.perf_counter()
            self.launcher.submit(job.path, dump_settings(settings))
        return progressed
