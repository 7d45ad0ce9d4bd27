"""A session's report: ``report.html`` in the session folder with its PNGs in ``report/`` (matplotlib, Agg).

What a user looks at to judge a tracking without writing a script: where each animal went, how
sure the identities were over time (low-certainty stretches marked), where and when crossings
happened, how much of the video each animal is tracked, the estimated accuracy and the method
behind it, time and peak memory per stage, and the parameters. Every plot stays readable for 100
animals: tracks become small multiples above ``OVERLAY_MAX`` identities, certainty is a heat map.
"""

from __future__ import annotations

import html
import io
import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import cv2  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from idtracker.adapters.storage.atomic_file import atomic_target  # noqa: E402
from idtracker.adapters.storage.trajectory_files import read_trajectories  # noqa: E402
from idtracker.application.errors import UserError  # noqa: E402

#: Up to this many identities the tracks share one picture; beyond, one small panel each.
OVERLAY_MAX = 20
#: Below this probability an identity's stretch counts as uncertain (marked on the heat map).
LOW_CERTAINTY = 0.9
#: Time bins of the certainty heat map and of the crossings histogram.
TIME_BINS = 300
DPI = 100


def _colours(n: int) -> np.ndarray:
    return plt.get_cmap("hsv")(np.linspace(0, 1, max(n, 1), endpoint=False))


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    plt.close(figure)
    return buffer.getvalue()


def _backdrop(folder: Path, info: dict, width: int, height: int) -> np.ndarray:
    """The session's background image, else the first frame of its video, else flat gray."""
    background = folder / "preprocessing" / "background.png"
    if background.is_file():
        image = cv2.imread(str(background), cv2.IMREAD_GRAYSCALE)
        if image is not None:
            return image
    for path in info.get("video_paths") or []:
        capture = cv2.VideoCapture(str(path))
        ok, frame = capture.read()
        capture.release()
        if ok:
            return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return np.full((height, width), 200, np.uint8)


def _tracks(trajectories: np.ndarray, backdrop: np.ndarray) -> bytes:
    n = trajectories.shape[1]
    colours = _colours(n)
    step = max(1, len(trajectories) // 5000)  # enough points to draw a path, few enough to draw fast
    if n <= OVERLAY_MAX:
        figure, axes = plt.subplots(figsize=(8, 8 * backdrop.shape[0] / backdrop.shape[1] + 0.4))
        axes.imshow(backdrop, cmap="gray", vmin=0, vmax=255)
        for k in range(n):
            axes.plot(*trajectories[::step, k].T, lw=0.8, color=colours[k], label=str(k + 1))
        axes.legend(fontsize=7, ncol=2, loc="upper right", title="identity")
        axes.set_axis_off()
        axes.set_title("Trajectory of every identity")
    else:
        cols = math.ceil(math.sqrt(n))
        rows = math.ceil(n / cols)
        small = cv2.resize(backdrop, (backdrop.shape[1] // 4 or 1, backdrop.shape[0] // 4 or 1))
        figure, grid = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.3 * rows * backdrop.shape[0] / backdrop.shape[1]))
        for k, axes in enumerate(np.ravel(grid)):
            axes.set_axis_off()
            if k < n:
                axes.imshow(small, cmap="gray", vmin=0, vmax=255, extent=(0, backdrop.shape[1], backdrop.shape[0], 0))
                axes.plot(*trajectories[::step, k].T, lw=0.5, color=colours[k])
                axes.set_title(str(k + 1), fontsize=6, pad=1)
        figure.suptitle("Trajectory of every identity (one panel each)")
    figure.tight_layout()
    return _png(figure)


def _binned(values: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """(bins, N) mean over time bins ignoring NaN, and the bin edges in frames."""
    edges = np.linspace(0, len(values), min(bins, len(values)) + 1).astype(int)
    out = np.full((len(edges) - 1, values.shape[1]), np.nan)
    for b in range(len(edges) - 1):
        chunk = values[edges[b]:edges[b + 1]]
        seen = np.isfinite(chunk)
        counts = seen.sum(0)
        out[b] = np.where(counts > 0, np.nansum(np.where(seen, chunk, 0), 0) / np.maximum(counts, 1), np.nan)
    return out, edges


def _certainty(trajectories: np.ndarray, probabilities: np.ndarray, fps: float) -> tuple[bytes, float]:
    """Heat map of identity certainty over time (tracked frames only), low stretches outlined in red;
    returns the PNG and the share of tracked animal-frames below ``LOW_CERTAINTY``."""
    tracked = np.isfinite(trajectories[..., 0])
    p = np.where(tracked, probabilities, np.nan)
    binned, edges = _binned(p, TIME_BINS)
    n = trajectories.shape[1]
    figure, axes = plt.subplots(figsize=(10, 1.2 + 0.12 * n + 0.8))
    seconds = len(trajectories) / max(fps, 1e-9)
    image = axes.imshow(binned.T, aspect="auto", cmap="viridis", vmin=0, vmax=1, interpolation="nearest",
                        extent=(0, seconds, n + 0.5, 0.5))
    low = np.ma.masked_where(~(binned.T < LOW_CERTAINTY), np.ones_like(binned.T))
    axes.imshow(low, aspect="auto", cmap="autumn", alpha=0.6, interpolation="nearest", extent=(0, seconds, n + 0.5, 0.5))
    axes.set_xlabel("time (s)")
    axes.set_ylabel("identity")
    figure.colorbar(image, ax=axes, label="probability of the identity", pad=0.01)
    known = p[np.isfinite(p)]
    share = float((known < LOW_CERTAINTY).mean()) if len(known) else 0.0
    axes.set_title(f"Identity certainty over time (red: below {LOW_CERTAINTY}; {share:.1%} of tracked animal-frames)")
    figure.tight_layout()
    return _png(figure), share


def _crossings(blobs: dict | None, backdrop: np.ndarray, n_frames: int, fps: float) -> bytes:
    figure, (where, when) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1, 1.6]})
    where.imshow(backdrop, cmap="gray", vmin=0, vmax=255)
    where.set_axis_off()
    if blobs is not None and (~blobs["is_individual"]).any():
        crossing = ~blobs["is_individual"]
        where.scatter(*blobs["centroid"][crossing].T, s=3, color="red", alpha=0.3, linewidths=0)
        frames = blobs["frame"][crossing]
        when.hist(frames / max(fps, 1e-9), bins=min(TIME_BINS, max(n_frames, 1)), color="red")
        where.set_title(f"Where: {int(crossing.sum())} crossing blobs")
    else:
        where.set_title("Where: no crossing blobs")
    when.set_xlim(0, n_frames / max(fps, 1e-9))
    when.set_xlabel("time (s)")
    when.set_ylabel("crossing blobs")
    when.set_title("When")
    figure.tight_layout()
    return _png(figure)


def _coverage(trajectories: np.ndarray, tracked_frames: np.ndarray) -> tuple[bytes, np.ndarray]:
    share = np.isfinite(trajectories[tracked_frames, :, 0]).mean(0) if tracked_frames.any() else \
        np.zeros(trajectories.shape[1])
    n = len(share)
    figure, axes = plt.subplots(figsize=(max(6, 0.12 * n + 2), 3))
    axes.bar(np.arange(1, n + 1), share, color=_colours(n), width=0.8)
    axes.set_ylim(0, 1.02)
    axes.set_xlabel("identity")
    axes.set_ylabel("fraction of frames")
    axes.set_title(f"Tracked frames with a position, per identity (mean {share.mean():.1%})", fontsize=10)
    figure.tight_layout()
    return _png(figure), share


def _stages(timers: dict) -> bytes:
    stages = [(k, v) for k, v in timers.items() if k != "Tracking session" and "duration_s" in v]
    figure, axes = plt.subplots(figsize=(8, 0.45 * len(stages) + 1.2))
    names = [k for k, _ in stages]
    seconds = [v["duration_s"] for _, v in stages]
    axes.barh(names, seconds, color="tab:blue")
    for y, (_, v) in enumerate(stages):
        memory = v.get("peak_rss_mb")
        axes.text(v["duration_s"], y, f" {v['duration_s']:.1f} s" + (f", peak {memory:.0f} MB" if memory else ""),
                  va="center", fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel("seconds")
    total = timers.get("Tracking session", {}).get("duration_s")
    axes.set_title(f"Time per stage{f' (session {total:.1f} s)' if total else ''}; peak memory so far at its end")
    axes.set_xlim(0, max(seconds or [1]) * 1.45)
    figure.tight_layout()
    return _png(figure)


def _write(path: Path, payload: bytes) -> None:
    with atomic_target(path) as tmp:
        tmp.write_bytes(payload)


def _parameters_table(info: dict) -> str:
    rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(json.dumps(v, default=str))[:300]}</td></tr>"
                   for k, v in info.items() if k not in ("timers",))
    return f"<table class='params'>{rows}</table>"


def write_report(folder: Path) -> Path:
    """``report.html`` for the session in ``folder``; UserError when it has no trajectories."""
    info_path = folder / "session.json"
    if not info_path.is_file():
        raise UserError(f"{folder}: no session.json; give a session folder written by idtrackerai")
    info = json.loads(info_path.read_text())
    data = read_trajectories(folder)
    trajectories = np.asarray(data["trajectories"], float)
    probabilities = np.asarray(data["id_probabilities"], float)[..., 0]
    n_frames, n = trajectories.shape[:2]
    fps = float(data.get("frames_per_second") or info.get("frames_per_second") or 1.0)
    blobs_path = folder / "preprocessing" / "blobs.npz"
    blobs = None
    if blobs_path.is_file():
        with np.load(blobs_path, allow_pickle=False) as f:
            blobs = {k: f[k] for k in ("frame", "centroid", "is_individual")}
    tracked = np.zeros(n_frames, bool)
    for start, stop in info.get("tracking_intervals") or [[0, n_frames]]:
        tracked[int(start):int(stop)] = True
    backdrop = _backdrop(folder, info, int(data.get("width") or 640), int(data.get("height") or 480))
    images = folder / "report"
    certainty_png, low_share = _certainty(trajectories, probabilities, fps)
    coverage_png, share = _coverage(trajectories, tracked)
    figures = {
        "trajectories.png": ("Where each animal went", _tracks(trajectories, backdrop)),
        "certainty.png": ("How sure each identity is over time", certainty_png),
        "crossings.png": ("Where and when animals crossed", _crossings(blobs, backdrop, n_frames, fps)),
        "coverage.png": ("How much of the video each animal is tracked", coverage_png),
        "stages.png": ("Time and memory per stage", _stages(info.get("timers") or {})),
    }
    for name, (_, payload) in figures.items():
        _write(images / name, payload)
    estimated = data.get("estimated_accuracy")
    method = info.get("identification_method", "unknown")
    summary = (f"<p><b>{n} identities</b>, {n_frames} frames at {fps:g} fps. Estimated accuracy: "
               f"<b>{'not estimated' if estimated is None else f'{estimated:.2%}'}</b> (method: {html.escape(str(method))}). "
               f"Positions on {share.mean():.1%} of tracked animal-frames; {low_share:.1%} of them below "
               f"{LOW_CERTAINTY} certainty.</p>")
    sections = "".join(f"<h2>{html.escape(title)}</h2><img src='report/{name}' alt='{html.escape(title)}'>"
                       for name, (title, _) in figures.items())
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>idtracker report: {html.escape(folder.name)}"
            "</title><style>body{font-family:sans-serif;max-width:1100px;margin:auto}img{max-width:100%}"
            ".params td{font-size:12px;padding:1px 8px;vertical-align:top}</style></head><body>"
            f"<h1>{html.escape(folder.name)}</h1>{summary}{sections}<h2>Parameters</h2>{_parameters_table(info)}"
            "</body></html>")
    path = folder / "report.html"
    _write(path, page.encode("utf-8"))
    return path
