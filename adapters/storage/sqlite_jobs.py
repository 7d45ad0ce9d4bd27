"""The daemon's job queue: one row per video in a sqlite database inside the watched folder.

sqlite commits are atomic and survive kill -9 and power loss, so the queue is the daemon's
memory across restarts: a video is tracked once, a job left ``running`` by a killed daemon is
found at start-up, and a failed one waits until its file changes (size or modification time).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from idtracker.application.auto_tracking import Job

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    path TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    size INTEGER NOT NULL,
    mtime REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    log TEXT,
    session_folder TEXT,
    updated TEXT NOT NULL DEFAULT (datetime('now'))
)
"""


class SqliteJobQueue:
    """Implements the JobQueue port on ``<folder>/idtrackerai_jobs.sqlite``."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(SCHEMA)

    def _job(self, row) -> Job:
        return Job(Path(row[0]), row[1], int(row[2]), float(row[3]), int(row[4]), row[5], row[6], row[7])

    def get(self, path: Path) -> Job | None:
        row = self._db.execute("SELECT path, state, size, mtime, attempts, error, log, session_folder FROM jobs "
                               "WHERE path = ?", (str(path),)).fetchone()
        return None if row is None else self._job(row)

    def queue(self, path: Path, size: int, mtime: float) -> None:
        """Queue a new video, or a failed one whose file changed since it failed."""
        self._db.execute("INSERT INTO jobs (path, state, size, mtime) VALUES (?, 'queued', ?, ?) ON CONFLICT(path) DO "
                         "UPDATE SET state = 'queued', size = excluded.size, mtime = excluded.mtime, error = NULL, "
                         "updated = datetime('now')", (str(path), size, mtime))

    def next_queued(self) -> Job | None:
        row = self._db.execute("SELECT path, state, size, mtime, attempts, error, log, session_folder FROM jobs "
                               "WHERE state = 'queued' ORDER BY updated, path LIMIT 1").fetchone()
        return None if row is None else self._job(row)

    def start(self, path: Path) -> int:
        """Mark running; returns the attempt number."""
        self._db.execute("UPDATE jobs SET state = 'running', attempts = attempts + 1, updated = datetime('now') "
                         "WHERE path = ?", (str(path),))
        return self.get(path).attempts

    def finish(self, path: Path, session_folder: Path) -> None:
        self._db.execute("UPDATE jobs SET state = 'done', session_folder = ?, error = NULL, updated = datetime('now') "
                         "WHERE path = ?", (str(session_folder), str(path)))

    def fail(self, path: Path, error: str, log: str) -> None:
        self._db.execute("UPDATE jobs SET state = 'failed', error = ?, log = ?, updated = datetime('now') "
                         "WHERE path = ?", (error, log, str(path)))

    def requeue_running(self) -> list[Path]:
        """Jobs a killed daemon left running go back to the queue (they run again)."""
        paths = [Path(r[0]) for r in self._db.execute("SELECT path FROM jobs WHERE state = 'running'")]
        self._db.execute("UPDATE jobs SET state = 'queued', updated = datetime('now') WHERE state = 'running'")
        return paths

    def all(self) -> list[Job]:
        rows = self._db.execute("SELECT path, state, size, mtime, attempts, error, log, session_folder FROM jobs "
                                "ORDER BY path").fetchall()
        return [self._job(r) for r in rows]

    def close(self) -> None:
        self._db.close()
