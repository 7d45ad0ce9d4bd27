"""Running a tracking session from any front end, with user errors kept to one line."""

from __future__ import annotations

import json
import os
import shutil
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from idtracker.application import events as ev
from idtracker.application.errors import UserError
from idtracker.application.settings import Settings

from .container import local_container

T = TypeVar("T")
LOG_PATH = Path("idtrackerai.log")
#: Earlier runs' logs kept beside the current one (idtrackerai.log.1 is the previous run).
KEPT_LOGS = 5


def track(settings: Settings, console: bool = True, overwrite: bool = False) -> int:
    """Track a session; returns the process exit code (0 success, 2 user error, 1 failure, 130 interrupted).

    ``./idtrackerai.log`` holds this run only (earlier runs move to ``idtrackerai.log.1``...), and
    is copied into the session folder whether the session succeeds or fails."""
    rotate_log(LOG_PATH)
    try:
        return _track(settings, console, overwrite)
    finally:
        _copy_log_into_session(LOG_PATH)


def log_user_error(message: str) -> None:
    """Record a mistake found before any session started (settings, options) as this run's log."""
    rotate_log(LOG_PATH)
    events = local_container(LOG_PATH, console=False).events()
    events.publish(ev.SessionFailed(message))
    events.close()


def rotate_log(path: Path, kept: int = KEPT_LOGS) -> None:
    """Move ``path`` to ``path.1`` (and ``.1`` to ``.2``...), keeping ``kept`` earlier logs."""
    for k in range(kept - 1, 0, -1):
        older = path.with_name(f"{path.name}.{k}")
        if older.exists():
            older.replace(path.with_name(f"{path.name}.{k + 1}"))
    if path.exists():
        path.replace(path.with_name(f"{path.name}.1"))


def _copy_log_into_session(log: Path) -> None:
    """Copy the run's log into the folder its session started (none if it never started)."""
    folder = None
    if log.exists():
        for line in log.read_text(encoding="utf-8").splitlines():
            if '"session_started"' in line:
                folder = json.loads(line).get("session_folder")
    if folder and Path(folder).is_dir():
        shutil.copyfile(log, Path(folder) / log.name)


def _track(settings: Settings, console: bool, overwrite: bool) -> int:
    container = local_container(LOG_PATH, console)
    events = container.events()
    events.bind_session(settings.session_name)
    use_case = container.track_session()
    try:
        use_case(settings, overwrite=overwrite)
    except UserError as error:
        events.publish(ev.SessionFailed(str(error)))
        print(f"idtrackerai: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        events.publish(ev.SessionFailed("interrupted by the user"))
        print("idtrackerai: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug, not a user mistake: keep the traceback in the log
        events.publish(ev.SessionFailed(f"{type(error).__name__}: {error}\n{traceback.format_exc()}"))
        print(f"idtrackerai: internal error: {type(error).__name__}: {error} (details in {LOG_PATH.resolve()})", file=sys.stderr)
        return 1
    finally:
        events.close()
    return 0


def run_tool(prog: str, work: Callable[[object], T], console: bool = False) -> tuple[int, T | None]:
    """Run a session tool (idmatcherai, inspect_clusters, video...) with this run's log: ``work`` gets
    the container; a user error is one line on stderr and in the log, exit status 2."""
    rotate_log(LOG_PATH)
    container = local_container(LOG_PATH, console=console)
    events = container.events()
    try:
        return 0, work(container)
    except UserError as error:
        events.publish(ev.SessionFailed(str(error)))
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2, None
    finally:
        events.close()


def check_session_folders(*folders: Path) -> None:
    """Each must be a folder (a session); UserError naming the first that is not."""
    for folder in folders:
        if not Path(folder).is_dir():
            raise UserError(f"{folder} is not a folder; give session folders (session_<name>)")


def has_display() -> bool:
    """Whether a window can be shown: not on a Linux without X11/Wayland (unless Qt is told where)."""
    return not sys.platform.startswith("linux") or any(
        os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))
