"""Rendered test videos with ground truth: simulated fish drawn with OpenCV, compressed to a file.

A video is written next to its ``gt.npz`` (true centroids, touching flags, body length) and an
idtracker.ai parameters file whose thresholds segment it, so ``idtrackerai --load <name>.toml
--track`` runs on it as on a real recording and ``score.py`` grades the result.

Each frame: the simulated bodies are filled as anti-aliased polygons, darkest where marked, in
their depth order on the static background, softened by a slight optical blur, then sensor noise
and the codec's compression are added. The ground truth comes from a label image drawn with the
same polygons, so it describes exactly the pixels of the video.
"""

from __future__ import annotations

import time
from pathlib import Path

import attrs
import cv2
import numpy as np
from attrs import validators as v
from idtracker.adapters.storage.ground_truth_file import write_ground_truth
from idtracker.adapters.video.synthetic_scene import SensorNoise, draw_background
from idtracker.domain.fish_appearance import SEGMENTATION_THRESHOLD, FishAppearance, draw_appearance
from idtracker.domain.fish_body import midlines, outlines, patches
from idtracker.domain.ground_truth import GroundTruth
from idtracker.domain.swim_simulation import Arena, SwimPaths, simulate_swimming

CODECS = {"mjpg": ("MJPG", ".avi"), "mp4": ("mp4v", ".mp4")}
#: Fixed-point bits for sub-pixel polygon vertices.
_SHIFT = 4
#: Quality of the MJPG encoder: visibly lossy, like the cameras' own compression.
JPEG_QUALITY = 85
#: Tail-beat amplitude at rest and its growth with speed (body lengths, per body length / s).
BEAT_AMPLITUDE, BEAT_GAIN = 0.05, 0.02


@attrs.frozen
class RenderSettings:
    """What to render. Sizes in px, ``noise`` as the gray-level standard deviation of sensor noise."""

    animals: int = attrs.field(validator=[v.ge(1), v.le(100)])
    frames: int = attrs.field(validator=v.ge(1))
    seed: int = 0
    width: int = attrs.field(default=800, validator=v.ge(64))
    height: int = attrs.field(default=800, validator=v.ge(64))
    body_length: float = attrs.field(default=45.0, validator=[v.ge(8.0), v.le(300.0)])
    distinctness: float = attrs.field(default=0.6, validator=[v.ge(0.0), v.le(1.0)])
    noise: float = attrs.field(default=3.0, validator=[v.ge(0.0), v.le(40.0)])
    fps: float = attrs.field(default=25.0, validator=v.gt(0.0))
    codec: str = attrs.field(default="mjpg", validator=v.in_(tuple(CODECS)))
    #: Optical blur (Gaussian sigma, px) and how uneven the lighting is (1 = a typical lab lamp).
    blur: float = attrs.field(default=0.8, validator=[v.ge(0.0), v.le(5.0)])
    light: float = attrs.field(default=1.0, validator=[v.ge(0.0), v.le(4.0)])
    wall: bool = True
    name: str = "rendered"
    #: Seed of the swimming alone (None: from ``seed``): the same animals, looking the same in the
    #: same tank, filmed again swimming otherwise (a second recording for knowledge transfer).
    swim_seed: int | None = None
    #: Share of the time animals rest along the wall (None: short pauses in open water).
    wall_resting: float | None = attrs.field(default=None, validator=v.optional([v.ge(0.0), v.lt(1.0)]))
    #: How much the animals school, 0 (each on its own) to 1 (side by side, the same way).
    schooling: float = attrs.field(default=0.0, validator=[v.ge(0.0), v.le(1.0)])

    @property
    def arena(self) -> Arena:
        return Arena(width=self.width, height=self.height, circular=self.wall)


@attrs.frozen
class RenderedVideo:
    """Paths of what :func:`render_video` wrote, the ground truth and how long rendering took."""

    video_path: Path
    ground_truth_path: Path
    settings_path: Path
    truth: GroundTruth
    seconds: float


def open_writer(path: Path, settings: RenderSettings) -> cv2.VideoWriter:
    fourcc = cv2.VideoWriter_fourcc(*CODECS[settings.codec][0])
    writer = cv2.VideoWriter(str(path), fourcc, settings.fps, (settings.width, settings.height), isColor=False)
    if not writer.isOpened():
        raise OSError(f"cannot open a {settings.codec} video writer for {path}")
    writer.set(cv2.VIDEOWRITER_PROP_QUALITY, JPEG_QUALITY)
    return writer


def _blurred(frame: np.ndarray, sigma: float) -> np.ndarray:
    """The frame softened as by the lens (kernel of 2.5 sigma each side, at least 5 px); unchanged at sigma 0."""
    if sigma <= 0:
        return frame
    side = 2 * max(round(2.5 * sigma), 2) + 1
    return cv2.GaussianBlur(frame, (side, side), sigma)


def _fixed(points: np.ndarray) -> np.ndarray:
    """int32 fixed-point vertices for cv2's ``shift`` argument."""
    return np.round(points * (1 << _SHIFT)).astype(np.int32)


def _draw_animals(frame: np.ndarray, labels: np.ndarray, paths: SwimPaths, looks: FishAppearance,
                  marks_of: list[np.ndarray], t: int) -> None:
    """Fill frame ``t``'s bodies and markings into ``frame`` and their ids (1..N) into ``labels``.

    ``marks_of[i]`` lists the indices of animal i's markings in ``looks``.
    """
    speed = paths.speeds[t]
    curvature = paths.turn_rates[t] / np.maximum(speed, 0.5)
    midline = midlines(paths.positions[t], paths.headings[t], looks.lengths, curvature, paths.beat_phases[t],
                       BEAT_AMPLITUDE + BEAT_GAIN * np.minimum(speed, 4.0))
    bodies = _fixed(outlines(midline, looks.widths))
    marks = _fixed(patches(midline, looks.widths, looks.mark_owners, looks.mark_bounds))
    for animal in np.argsort(paths.depths[t], kind="stable"):
        cv2.fillPoly(frame, [bodies[animal]], float(looks.shades[animal]), cv2.LINE_AA, _SHIFT)
        for mark in marks_of[animal]:
            cv2.fillPoly(frame, [marks[mark]], float(looks.mark_shades[mark]), cv2.LINE_AA, _SHIFT)
        cv2.fillPoly(labels, [bodies[animal]], int(animal) + 1, cv2.LINE_8, _SHIFT)


def _measure(labels: np.ndarray, n_animals: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centroids (N, 2), visible areas (N,) and touching flags (N,) from a label image.

    Animals touch when their pixels fall in one 8-connected component of the animals' mask grown by
    one pixel: blur and noise can close a one-pixel gap, and then a segmentation sees one blob.
    """
    found = cv2.findNonZero(labels)
    xs, ys = (np.zeros((2, 0), np.int32) if found is None else found.reshape(-1, 2).T)
    ids = labels[ys, xs].astype(np.int64) - 1
    areas = np.bincount(ids, minlength=n_animals)
    with np.errstate(invalid="ignore", divide="ignore"):
        centroids = np.stack([np.bincount(ids, xs, n_animals), np.bincount(ids, ys, n_animals)], -1) / areas[:, None]
    grown = cv2.dilate((labels > 0).astype(np.uint8), np.ones((3, 3), np.uint8))
    _, components = cv2.connectedComponents(grown, connectivity=8)
    pairs = np.unique(components[ys, xs].astype(np.int64) * (n_animals + 1) + ids)
    component, animal = np.divmod(pairs, n_animals + 1)
    shared = np.bincount(component)[component] > 1
    touching = np.zeros(n_animals, bool)
    touching[animal[shared]] = True
    return centroids, areas, touching | (areas == 0)


def _write_parameters(path: Path, video: Path, settings: RenderSettings, truth: GroundTruth) -> None:
    """Write idtracker.ai parameters that segment this video.

    Animals are darker than the threshold and everything else brighter; the area floor, a third of
    the smallest animal's typical visible area, keeps half-hidden animals and drops compression specks.
    """
    typical = np.nanmedian(np.where(truth.areas > 0, truth.areas, np.nan), axis=0)
    smallest = float(np.nanmin(typical)) if np.isfinite(typical).any() else 0.0
    path.write_text(
        f"# Rendered by idtrackerai_render: {settings.animals} animals, {settings.frames} frames, "
        f"seed {settings.seed}, distinctness {settings.distinctness}. Ground truth: gt.npz.\n"
        f"name = '{settings.name}'\n"
        f"video_paths = ['{video.name}']\n"
        f"intensity_ths = [0, {SEGMENTATION_THRESHOLD}]\n"
        f"area_ths = [{max(round(smallest / 3), 1)}.0, inf]\n"
        'tracking_intervals = ""\n'
        f"number_of_animals = {settings.animals}\n"
        "use_bkg = false\n"
        "check_segmentation = false\n"
        "track_wo_identities = false\n"
        "roi_list = ''\n"
        "exclusive_rois = false\n"
        'trajectories_formats = ["h5", "npy", "csv"]\n', encoding="utf-8")


def render_video(settings: RenderSettings, folder: Path) -> RenderedVideo:
    """Simulate, draw and encode a video into ``folder`` with its ``gt.npz`` and parameters file.

    Independent random streams drive motion, looks, scenery and noise, so the same seed gives the
    same swimming whatever the noise or distinctness asked for, and ``swim_seed`` changes the
    swimming alone.
    """
    start = time.perf_counter()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    motion_rng, looks_rng, scene_rng, noise_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(settings.seed).spawn(4))
    if settings.swim_seed is not None:
        motion_rng = np.random.default_rng(np.random.SeedSequence([settings.seed, settings.swim_seed]).spawn(1)[0])
    n, shape = settings.animals, (settings.frames, settings.animals)
    paths = simulate_swimming(settings.arena, n, settings.frames, settings.body_length, settings.fps, motion_rng,
                              settings.wall_resting, settings.schooling)
    looks = draw_appearance(n, settings.body_length, settings.distinctness, looks_rng)
    background = draw_background(settings.arena, scene_rng, settings.light)
    noise = SensorNoise(settings.width, settings.height, settings.noise, noise_rng)
    positions, areas, touching = np.empty((*shape, 2)), np.empty(shape, np.int64), np.empty(shape, bool)
    video_path = folder / f"{settings.name}{CODECS[settings.codec][1]}"
    writer = open_writer(video_path, settings)
    labels = np.empty(background.shape, np.uint8)
    marks_of = [np.flatnonzero(looks.mark_owners == animal) for animal in range(n)]
    try:
        for t in range(settings.frames):
            frame = background.copy()
            labels.fill(0)
            _draw_animals(frame, labels, paths, looks, marks_of, t)
            positions[t], areas[t], touching[t] = _measure(labels, n)
            frame = noise(_blurred(frame, settings.blur))
            writer.write(frame)
    finally:
        writer.release()
    truth = GroundTruth(positions=positions, touching=touching, body_length=float(np.mean(looks.lengths)),
                        areas=areas)
    gt_path = write_ground_truth(
        truth, folder, headings=paths.headings, lengths=looks.lengths, widths=looks.widths, shades=looks.shades,
        patterns=np.array(looks.patterns), seed=settings.seed, distinctness=settings.distinctness,
        noise=settings.noise, fps=settings.fps, intensity_threshold=SEGMENTATION_THRESHOLD)
    settings_path = folder / f"{settings.name}.toml"
    _write_parameters(settings_path, video_path, settings, truth)
    return RenderedVideo(video_path=video_path, ground_truth_path=gt_path, settings_path=settings_path,
                         truth=truth, seconds=time.perf_counter() - start)
