"""idtrackerai_video: the session's video with every identity's trail and label, or one video per animal."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import attrs
import numpy as np
from idtracker.domain.identity_colors import identity_colours

from . import events as ev
from .errors import UserError
from .ports import EventSink, VideoSource


@attrs.frozen
class VideoOptions:
    """What to draw: frames [start, end) (end None: to the last), trail length in frames, gray or
    colour, labels; ``individual`` for one video per animal (tiles of ``size`` px, None: one body length)."""

    start: int = 0
    end: int | None = None
    trail: int = 20
    gray: bool = False
    labels: bool = True
    individual: bool = False
    size: int | None = None


@attrs.frozen
class Drawing:
    """Everything the renderer needs besides the frames: positions (F, N, 2), colours, labels, tile side."""

    trajectories: np.ndarray
    colours: np.ndarray
    labels: tuple[str, ...]
    frames: range
    options: VideoOptions
    tile: int
    frames_per_second: float


class TrackedVideoRenderer(Protocol):
    """Draws and encodes tracked videos (OpenCV)."""

    def general(self, video: VideoSource, drawing: Drawing, path: Path, advance: Callable[[int], None]) -> Path:
        """The whole frame with trails and labels, written to ``path``."""
        ...

    def individual(self, video: VideoSource, drawing: Drawing, folder: Path,
                   advance: Callable[[int], None]) -> list[Path]:
        """``individual_{id}.avi`` per animal and ``general.avi``, the grid of them all, in ``folder``."""
        ...


@attrs.define
class MakeTrackedVideo:
    """Reads a session's trajectories and video, and has the renderer draw them."""

    open_video: Callable[[list[Path]], VideoSource]
    read_session: Callable[[Path], dict]
    read_trajectories: Callable[[Path], dict]
    renderer: TrackedVideoRenderer
    events: EventSink

    def __call__(self, session: Path, options: VideoOptions, trajectories: Path | None = None) -> list[Path]:
        """Files written (the general video, or the individual ones then their grid).

        Raises:
            UserError: the session, its videos or the trajectories are missing, or the frame range is empty.
        """
        t0 = time.perf_counter()
        info = self.read_session(session)
        data = self.read_trajectories(trajectories if trajectories is not None else session)
        videos = [Path(p) for p in info.get("video_paths") or []]
        missing = [p for p in videos if not p.is_file()]
        if not videos or missing:
            raise UserError(f"{session}: its video {missing[0] if missing else '(none named)'} is not there; "
                            "put it back where it was tracked")
        video = self.open_video(videos)
        positions = np.asarray(data["trajectories"], float)
        end = min(len(positions), video.number_of_frames) if options.end is None else options.end
        if not 0 <= options.start < end <= min(len(positions), video.number_of_frames):
            raise UserError(f"--s/--e: frames [{options.start}, {end}) are not inside the "
                            f"{min(len(positions), video.number_of_frames)} tracked frames")
        n = positions.shape[1]
        labels = tuple(str(x) for x in (info.get("identities_labels") or [])) or tuple(str(i + 1) for i in range(n))
        body = float(info.get("median_body_length") or data.get("body_length") or 20.0)
        drawing = Drawing(positions, identity_colours(n), labels[:n] + tuple(str(i + 1) for i in range(len(labels), n)),
                          range(options.start, end), options, _even(options.size or body), video.frames_per_second)
        with self.events.progress("Drawing the tracked video", len(drawing.frames)) as advance:
            if options.individual:
                files = self.renderer.individual(video, drawing, session / "individual_videos", advance)
            else:
                files = [self.renderer.general(video, drawing, session / f"{videos[0].stem}_tracked.avi", advance)]
        self.events.publish(ev.TrackedVideoWritten(str(files[-1 if options.individual else 0]), len(drawing.frames),
                                                   n, time.perf_counter() - t0))
        return files


def _even(side: float) -> int:
    """Tiles have an even side (codecs need it), at least 8 px."""
    return max(8, int(round(side / 2)) * 2)
