"""Tracking from inside other software (acquisition programs, notebooks): one call, events as they happen.

    from idtracker.entrypoints.api import track
    result = track({"video_paths": ["fish.avi"], "number_of_animals": 8, "intensity_ths": [0, 130],
                    "area_ths": [50, "inf"]}, on_event=print)
    result.trajectories  # (frames, animals, 2)

Settings are a dict of the seed's parameters, a TOML path, or a list of them merged in order as
``--load`` merges files. The session runs through the same container and use case as the CLI;
``on_event`` gets every typed event (progress as ``ProgressAdvanced``) in the tracking thread, and
a set ``cancel`` event stops it at the next event or progress step.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import attrs
import numpy as np
from dependency_injector import providers

from idtracker.adapters.events.callback_sink import CallbackEventSink
from idtracker.application import events as ev
from idtracker.application.errors import Cancelled, UserError

from .container import local_container

__all__ = ["Cancelled", "SettingsError", "TrackingResult", "track"]

SettingsSource = Mapping[str, object] | str | Path


class SettingsError(ValueError):
    """A mistake in the settings or the input files: the same one-line message the CLI prints."""


@attrs.frozen
class TrackingResult:
    """What a session produced: positions (frames, animals, 2), identity probabilities (frames,
    animals), where its files are, its estimated accuracy and the seconds each stage took."""

    trajectories: np.ndarray
    id_probabilities: np.ndarray
    session_folder: Path
    estimated_accuracy: float | None
    stage_durations_s: dict[str, float]


def _params(settings: SettingsSource | Sequence[SettingsSource]) -> dict[str, object]:
    from idtracker.adapters.config.toml_settings import load_toml, merge

    sources = [settings] if isinstance(settings, (Mapping, str, Path)) else list(settings)
    dicts = []
    for source in sources:
        if isinstance(source, Mapping):
            dicts.append({str(k).lower(): (None if v == "" else v) for k, v in source.items()})
        else:
            dicts.append(load_toml(Path(source)))
    return merge(dicts)


def track(settings: SettingsSource | Sequence[SettingsSource], on_event: Callable[[ev.Event], None] | None = None,
          cancel: threading.Event | None = None, log_path: Path = Path("idtrackerai.log"),
          console: bool = False, overwrite: bool = False) -> TrackingResult:
    """Track one session and return its trajectories.

    A session interrupted earlier (a crash, a cancel) resumes from its checkpoints; one already
    finished with the same settings is not tracked again (its trajectories are returned);
    ``overwrite`` tracks from the start.

    Raises:
        SettingsError: bad settings or input (the CLI's one-line message).
        Cancelled: ``cancel`` was set; the session stopped and wrote no trajectories.
    """
    from idtracker.adapters.config.toml_settings import structure_settings
    from idtracker.adapters.storage.trajectory_files import read_trajectories

    try:
        checked = structure_settings(_params(settings))
    except UserError as error:
        raise SettingsError(str(error)) from None
    container = local_container(Path(log_path), console)
    log = container.events()
    log.bind_session(checked.session_name)
    container.events.override(providers.Object(CallbackEventSink(log, on_event, cancel)))
    try:
        result = container.track_session()(checked, overwrite=overwrite)
    except UserError as error:
        log.publish(ev.SessionFailed(str(error)))
        raise SettingsError(str(error)) from None
    except Cancelled as stop:
        log.publish(ev.SessionFailed(str(stop)))
        raise
    finally:
        container.events.reset_override()
        log.close()
    data = read_trajectories(result.folder)
    return TrackingResult(np.asarray(data["trajectories"]), np.asarray(data["id_probabilities"])[..., 0],
                          result.folder, data.get("estimated_accuracy"), dict(result.stage_durations_s))
