"""Whole sessions as Dask tasks (the SessionLauncher port): the daemon's videos tracked on a cluster.

One task is one session, submitted ``pure=False`` with the session's settings as plain values (the
video path, never an open capture). A worker that is lost takes its task with it; the scheduler
runs it again elsewhere, and the session resumes from the checkpoints the lost worker left in the
session folder (workers must see the videos and the output folder at the same paths). Dask
worker processes may not start processes of their own, so a session in a task runs its episodes
in the task's process: the cluster's parallelism is across sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from idtracker.application.errors import UserError

from .dask_runner import connect


class DaskSessionLauncher:
    """Implements SessionLauncher on ``distributed.Client``.

    Args:
        scheduler: ``local`` for a LocalCluster of ``workers`` single-threaded processes, else a
            scheduler address (``tcp://host:8786``).
        task: the function a worker runs: settings as plain values in, the session folder out;
            it raises ``UserError`` for a user mistake (the job's one-line error).
        workers: LocalCluster size.
    """

    def __init__(self, scheduler: str, task: Callable[[dict], str], workers: int):
        self.client, self.cluster = connect(scheduler, workers)
        self.task = task
        self._futures: dict[Path, object] = {}

    @property
    def capacity(self) -> int:
        """Sessions run at once: one per worker thread of the cluster as it is now."""
        workers = self.client.scheduler_info().get("workers", {})
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    def submit(self, video: Path, parameters: dict) -> None:
        self._futures[video] = self.client.submit(self.task, parameters, pure=False)

    @property
    def running(self) -> int:
        return len(self._futures)

    def finished(self) -> list[tuple[Path, Path | None, str | None]]:
        """(video, session folder, None) or (video, None, one-line error) of every task done since the last call."""
        out = []
        for video, future in list(self._futures.items()):
            if not future.done():
                continue
            del self._futures[video]
            try:
                out.append((video, Path(future.result()), None))
            except UserError as error:
                out.append((video, None, str(error)))
            except Exception as error:  # noqa: BLE001 - a crash of one video's session is that video's failure
                out.append((video, None, " ".join(f"{type(error).__name__}: {error}".split())))
        return out

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
