"""Event sink writing JSON lines to ``idtrackerai.log`` and readable lines to the terminal.

The log file is the record users send for support and scripts parse, so every line is one
strict JSON object carrying the event name, a UTC timestamp, the level and the session. The
terminal gets the same events as short coloured lines plus live progress bars.

The sink lives in the main process only: it starts no threads (bars refresh when work
advances, not from a timer), flushes every line at once so a forked worker never inherits
half-written output, and refuses to be pickled into a worker.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, TextIO

import attrs
import numpy as np
import structlog
from idtracker.application.events import Event, SessionStarted
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

_LEVELS = ("debug", "info", "warning", "error", "critical")
_LEVEL_STYLES = {
    "debug": "dim",
    "info": "green",
    "warning": "bold yellow",
    "error": "bold red",
    "critical": "bold white on red",
}
_HEAD_KEYS = ("event", "timestamp", "level", "session")
_UNLABELLED_FIELDS = frozenset({"message", "error"})
_REFRESH_INTERVAL_S = 0.1


def format_duration(seconds: float) -> str:
    """Human duration such as ``350 ms``, ``1.2 s``, ``3 min 4 s`` or ``2 h 5 min``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _jsonable(value: Any) -> Any:
    """A strict-JSON version of ``value`` (paths, tuples, numpy scalars, non-finite floats)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN/inf are not JSON; jq and other strict readers reject them
    if isinstance(value, Path):
        return str(value)
    return value


def _make_jsonable(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor applying :func:`_jsonable` to every value."""
    return {key: _jsonable(value) for key, value in event_dict.items()}


def _order_keys(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor putting event, timestamp, level and session first, for grep-ability."""
    head = {key: event_dict.pop(key) for key in _HEAD_KEYS if key in event_dict}
    return head | event_dict


def _json_logger(file: TextIO) -> Any:
    """A structlog logger rendering each call as one JSON line in ``file``, bound to no session."""
    return structlog.wrap_logger(
        structlog.WriteLogger(file),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
            _make_jsonable,
            _order_keys,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
        cache_logger_on_first_use=False,
    ).bind(session=None)


def _format_value(key: str, value: Any) -> str:
    """Terminal rendering of one field; ``*_s`` numbers are durations."""
    if key.endswith("_s") and isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_duration(float(value))
    if isinstance(value, (tuple, list)):
        return ", ".join(_format_value("", v) for v in value) or "none"
    if isinstance(value, dict):
        if key.endswith("_s"):
            return ", ".join(f"{k} {format_duration(float(v))}" for k, v in value.items())
        return f"{len(value)} entries"
    if isinstance(value, (bool, np.bool_)) or value is None:
        return str(value)
    if isinstance(value, (int, np.integer)):
        return f"{value:,}"
    if isinstance(value, (float, np.floating)):
        return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.4g}"
    return str(value)


def _label(key: str) -> str:
    """Short terminal label: ``number_of_blobs`` -> ``blobs``, ``duration_s`` -> ``duration``."""
    return key.removeprefix("number_of_").removesuffix("_s")


def _readable_line(level: str, title: str, fields: dict[str, Any]) -> Text:
    """``12:03:04 INFO    Blobs segmented  blobs=1,234 duration=3 min 4 s``."""
    line = Text.assemble(
        (datetime.now().strftime("%H:%M:%S"), "dim"),
        " ",
        (f"{level.upper():<8}", _LEVEL_STYLES[level]),
        (title, "bold"),
    )
    for key, value in fields.items():
        line.append("  ")
        if key not in _UNLABELLED_FIELDS:
            line.append(f"{_label(key)}=", style="dim")
        line.append(_format_value(key, value))
    return line


def _words(event_name: str) -> str:
    """``blobs_segmented`` -> ``Blobs segmented``."""
    return event_name.replace("_", " ").capitalize()


class _RateColumn(ProgressColumn):
    """Units per second of a progress task (rich ships only a bytes-per-second column)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("?/s" if speed is None else f"{speed:,.1f}/s", style="progress.data.speed")


class StructlogEventSink:
    """:class:`~idtracker.application.ports.EventSink` backed by structlog (file) and rich (terminal).

    Args:
        log_path: JSON-lines file, appended to; relative paths resolve against the current
            working directory, where users expect ``idtrackerai.log``.
        console: Whether to print readable lines to stdout. Live bars are drawn only when
            stdout is also a terminal, so piped output and cluster logs stay clean.
        session: Session name stamped on every line; can also be set later with
            :meth:`bind_session` or by publishing ``SessionStarted``.
    """

    def __init__(self, log_path: Path = Path("idtrackerai.log"), console: bool = True, session: str | None = None):
        self.log_path = Path(log_path).resolve()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.log_path.open("a", encoding="utf-8")
        self._log = _json_logger(self._file)
        self._session: str | None = None
        self._console = Console(soft_wrap=True) if console else None
        self._bars: Progress | None = None
        self._open_bars = 0
        if session is not None:
            self.bind_session(session)

    def bind_session(self, name: str) -> None:
        """Stamp ``session=name`` on every following line."""
        self._session = name
        self._log = self._log.bind(session=name)

    def publish(self, event: Event) -> None:
        """Log ``event`` as one JSON line and one readable terminal line."""
        if self._session is None and isinstance(event, SessionStarted):
            self.bind_session(event.session)
        fields = attrs.asdict(event, recurse=False)
        self._emit(event.level, event.name, _words(event.name), fields)

    def message(self, text: str, level: str = "info", **fields: Any) -> None:
        """Log a plain message (e.g. ``Loading parameters from a.toml``) with optional fields.

        Raises:
            ValueError: If ``level`` is not one of debug, info, warning, error, critical.
        """
        if level not in _LEVELS:
            raise ValueError(f"level must be one of {', '.join(_LEVELS)}, got {level!r}")
        self._emit(level, text, text, fields)

    @contextmanager
    def progress(self, description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        """Show a progress bar while the block runs; log ``progress_finished`` when it ends.

        The final line is written even if the block raises, so the log shows how far work got.
        """
        completed = 0
        started = time.monotonic()
        task = self._open_bar(description, total)
        last_refresh = started

        def advance(n: int = 1) -> None:
            nonlocal completed, last_refresh
            completed += n
            if task is None or self._bars is None:
                return
            self._bars.advance(task, n)
            now = time.monotonic()
            if now - last_refresh >= _REFRESH_INTERVAL_S:
                self._bars.refresh()
                last_refresh = now

        try:
            yield advance
        finally:
            self._close_bar(task)
            duration = time.monotonic() - started
            count = f"{completed:,}" if total is None else f"{completed:,}/{total:,}"
            fields = {"description": description, "total": total, "completed": completed, "duration_s": duration}
            self._write("info", "progress_finished", fields)
            rate = f" ({completed / duration:,.1f}/s)" if duration > 0 and completed else ""
            self._show("info", f"{description}: {count} in {format_duration(duration)}{rate}", {})

    def close(self) -> None:
        """Stop any live bar and flush and close the log file."""
        if self._bars is not None:
            self._bars.stop()
            self._bars = None
        if not self._file.closed:
            self._file.flush()
            self._file.close()

    def __enter__(self) -> StructlogEventSink:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __getstate__(self) -> NoReturn:
        raise TypeError(
            "StructlogEventSink stays in the main process; return results from workers and publish them there"
        )

    def _emit(self, level: str, name: str, title: str, fields: dict[str, Any]) -> None:
        self._write(level, name, fields)
        self._show(level, title, fields)

    def _write(self, level: str, name: str, fields: dict[str, Any]) -> None:
        getattr(self._log, level)(name, **fields)

    def _show(self, level: str, title: str, fields: dict[str, Any]) -> None:
        if self._console is not None:
            self._console.print(_readable_line(level, title, fields))

    def _open_bar(self, description: str, total: int | None) -> TaskID | None:
        """Add a task to the shared live display (started on demand); None when not a terminal.

        Nested progress blocks share one display because rich allows only one live display.
        """
        if self._console is None or not self._console.is_terminal:
            return None
        if self._bars is None:
            self._bars = Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                _RateColumn(),
                TimeElapsedColumn(),
                TextColumn("<"),
                TimeRemainingColumn(),
                console=self._console,
                auto_refresh=False,  # no refresh thread: forking a pool while it runs is unsafe
                transient=True,
                redirect_stdout=False,  # forked workers must not inherit a proxy onto the bar
                redirect_stderr=False,
            )
            self._bars.start()
        self._open_bars += 1
        task = self._bars.add_task(description, total=total)
        self._bars.refresh()
        return task

    def _close_bar(self, task: TaskID | None) -> None:
        if task is None or self._bars is None:
            return
        self._bars.remove_task(task)
        self._open_bars -= 1
        if self._open_bars == 0:
            self._bars.stop()
            self._bars = None
        else:
            self._bars.refresh()
