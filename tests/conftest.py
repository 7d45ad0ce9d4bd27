"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from synthetic_videos import render_dots


@pytest.fixture
def dots_video(tmp_path: Path) -> Path:
    path = tmp_path / "dots.avi"
    render_dots(path)
    return path
