"""Running a tracking session from any front end, with user errors kept to one line."""

from __future__ import annotations

import shutil
import sys
import traceback
from pathlib import Path

from idtracker.application import events as ev
from idtracker.application.errors import UserError
from idtracker.application.settings import Settings

from .container import local_container

LOG_PATH = Path("idtrackerai.log")


def track(settings: Settings, console: bool = True) -> int:
    """Track a session; returns the process exit code (0 success, 2 user error, 1 failure, 130 interrupted)."""
    container = local_container(LOG_PATH, console)
    events = container.events()
    events.bind_session(settings.session_name)
    use_case = container.track_session()
    try:
        result = use_case(settings)
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
    if LOG_PATH.exists():
        shutil.copyfile(LOG_PATH, result.folder / "idtrackerai.log")
    return 0
