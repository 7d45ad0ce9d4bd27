"""Checks and derived values needed before any frame is read."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .errors import UserError
from .settings import Settings


def package_version() -> str:
    try:
        return version("idtracker")
    except PackageNotFoundError:
        return "unknown"


def check_required(settings: Settings) -> None:
    """Parameters without a usable default must be given (one clear line each)."""
    if not settings.video_paths:
        raise UserError("video_paths: no video given; set video_paths = ['video.avi'] or --video_paths FILE ...")
    if settings.intensity_ths is None:
        raise UserError("intensity_ths: required, e.g. intensity_ths = [0, 130] (dark animals on a bright background)")
    if settings.area_ths is None:
        raise UserError("area_ths: required, e.g. area_ths = [50, inf] (minimum and maximum blob area in pixels)")
    if settings.number_of_animals == 0 and not settings.track_wo_identities:
        raise UserError("number_of_animals: set the number of animals (> 0), or track_wo_identities = true")


def session_folder(settings: Settings, reusable: Callable[[Path], bool] = lambda folder: False) -> Path:
    """``<output_dir>/session_<name>``; an automatic name gets _1, _2... if the folder exists, unless
    ``reusable`` says that folder is this session's own (an interrupted run of the same command)."""
    parent = Path(settings.output_dir) if settings.output_dir else Path(settings.video_paths[0]).resolve().parent
    folder = parent / f"session_{settings.session_name}"
    if settings.name:
        return folder
    k = 1
    while folder.exists() and not reusable(folder):
        folder = parent / f"session_{settings.session_name}_{k}"
        k += 1
    return folder


def check_intervals(intervals: list[tuple[int, int]] | None, number_of_frames: int) -> None:
    """Every tracking interval must lie inside the video (a typo in an end frame would otherwise
    pass silently as "to the end")."""
    for a, b in intervals or []:
        if a >= number_of_frames:
            raise UserError(f"tracking_intervals: [{a}, {b}] starts after the last frame; the video has {number_of_frames} frames")
        if b > number_of_frames:
            raise UserError(f"tracking_intervals: [{a}, {b}] ends after the last frame; the video has {number_of_frames} "
                            f"frames, so an interval ends at {number_of_frames} at most")
