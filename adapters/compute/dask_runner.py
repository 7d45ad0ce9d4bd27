"""Episodes as Dask tasks (the EpisodeRunner port): a LocalCluster on this machine or a running scheduler.

What travels to a worker is the episode function and its episode (video paths and frame ranges,
never an open capture); each task sets OpenCV to one thread (the episode functions do) and is
submitted ``pure=False``, so a task a lost worker held is simply run again, and its result
(blobs, or images written per episode) is the same. Workers of a real cluster must see the
videos and the session folder at the same paths (a shared file system).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from idtracker.application.errors import UserError

#: Seconds to reach a scheduler before the session says it cannot.
CONNECT_TIMEOUT_S = 20


def connect(scheduler: str, workers: int):
    """(client, LocalCluster or None): a LocalCluster of ``workers`` single-threaded processes for
    ``local``, else a client of the scheduler at that address.

    Raises:
        UserError: the scheduler cannot be reached (one line naming it).
    """
    from distributed import Client, LocalCluster

    try:
        if scheduler == "local":
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                                   silence_logs=40)
            return Client(cluster), cluster
        return Client(scheduler, timeout=CONNECT_TIMEOUT_S), None
    except (OSError, TimeoutError, ValueError) as error:
        raise UserError(f"dask_scheduler: cannot reach {scheduler!r} ({error}); give 'local' or a running "
                        "scheduler's address such as tcp://10.0.0.5:8786") from None


class DaskRunner:
    """Implements EpisodeRunner on ``distributed.Client``.

    Args:
        scheduler: ``local`` for a LocalCluster of ``workers`` single-threaded processes, else a
            scheduler address (``tcp://host:8786``).
        workers: LocalCluster size; for a remote scheduler, what the session reports.
    """

    def __init__(self, scheduler: str, workers: int):
        self.client, self.cluster = connect(scheduler, workers)
        self.workers = workers if self.cluster is not None else max(1, len(self.client.scheduler_info()["workers"]))
        self.client.run(os.environ.__setitem__, "OMP_NUM_THREADS", "1")

    def map(self, fn: Callable, items: list) -> Iterator:
        from distributed import as_completed

        futures = self.client.map(fn, items, pure=False)
        for future in as_completed(futures):
            yield future.result()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
