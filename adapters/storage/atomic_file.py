"""Atomic file replacement, so an interrupted run never leaves a half-written output file."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_target(path: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` in one step.

    The temporary file lives in the same folder (``os.replace`` is only atomic within one file
    system) under a hidden, unique name, and is flushed to disk before the rename so the new
    content survives a crash right after it. On any error it is removed and ``path`` is untouched.

    Args:
        path: the final file; its folder is created if missing.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        yield tmp
        with open(tmp, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
