"""One whole session as a Dask task: what a cluster worker runs for the daemon's ``--dask_scheduler``.

The task gets the session's settings as plain values and returns its folder. Its events go to the
session's own ``idtrackerai.log`` (a worker has no terminal). Dask worker processes may not start
processes, so the session's episodes run in the task's process; a session given Dask for its
episodes in its settings runs them there too (one cluster parallelises across sessions). Both
are said in a warning event in the session's log, never silently.
"""

from __future__ import annotations

import attrs
from idtracker.application import events as ev
from idtracker.application.session_setup import session_folder

IN_TASK = ("the session runs as a Dask task: its episodes run in the task's process (number_of_parallel_workers 1, "
           "no dask_scheduler of its own); the cluster runs sessions in parallel")


def track_on_worker(parameters: dict) -> str:
    """Track the session ``parameters`` describe; returns its folder. UserError for a user mistake."""
    from idtracker.adapters.config.toml_settings import structure_settings

    from .app import rotate_log
    from .container import local_container

    settings = structure_settings(parameters)
    changed = settings.number_of_parallel_workers != 1 or bool(settings.dask_scheduler)
    settings = attrs.evolve(settings, number_of_parallel_workers=1, dask_scheduler=None)
    folder = session_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "idtrackerai.log"
    rotate_log(log)
    container = local_container(log, console=False)
    events = container.events()
    events.bind_session(settings.session_name)
    try:
        if changed:
            events.publish(ev.WarningRaised(IN_TASK))
        return str(container.track_session()(settings).folder)
    except Exception as error:
        events.publish(ev.SessionFailed(" ".join(f"{type(error).__name__}: {error}".split())))
        raise
    finally:
        events.close()

