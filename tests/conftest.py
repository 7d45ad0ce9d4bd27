"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

# Qt widgets render without a screen in the tests (pytest-qt creates the application).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from synthetic_videos import render_dots


@pytest.fixture
def dots_video(tmp_path: Path) -> Path:
    path = tmp_path / "dots.avi"
    render_dots(path)
    return path
