"""Stage checkpoints: what each finished stage of a session produced, kept in its folder.

A session killed at any moment (kill -9, power loss, Ctrl-C) and run again with the same command
resumes after the last finished checkpoint: the segmentation of each episode, the crossing
detection, the contrastive step and the identification are each written (atomically, by the
session store) as soon as they end. Every stage is deterministic given its inputs (seeded
networks and samplers), so a resumed session writes the trajectories an uninterrupted run
writes. Each checkpoint carries the fingerprint of what it was computed from (the parameters
that affect that stage, the video files, the package version); a checkpoint with another
fingerprint is not used, and the event says which parameters changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import numpy as np
from idtracker.domain.area_model import AreaModel
from idtracker.domain.blobs import BlobTable
from idtracker.domain.crossing_labels import CrossingLabels
from idtracker.domain.episodes import Episode

from . import events as ev
from .contrastive_step import ContrastiveResult
from .crossing_detection import CrossingResult
from .identification_stage import IdentityResult
from .knowledge_transfer import TransferOutcome
from .ports import EventSink, SessionStore
from .segmentation import BorderFrame, EpisodeBlobs
from .session_setup import package_version
from .settings import Settings, dump_settings

FOLDER = "checkpoints"
#: Parameters the blobs depend on (frames_per_episode sets where episodes are cut and stitched).
SEGMENTATION_PARAMETERS = ("video_paths", "tracking_intervals", "intensity_ths", "area_ths", "roi_list", "use_bkg",
                           "background_subtraction_stat", "number_of_frames_for_background", "frames_per_episode",
                           "bounding_box_images_in_ram")
#: ... and which blobs are single animals (the detector is trained on identification images).
CROSSING_PARAMETERS = SEGMENTATION_PARAMETERS + ("number_of_animals", "track_wo_identities", "id_image_size",
                                                 "resolution_reduction", "device", "torch_compile", "random_seed")
#: Parameters that change no identity: where and how results are written, how work is spread,
#: and a check that only refuses (it runs again on every run).
NO_EFFECT_ON_IDENTITIES = ("name", "output_dir", "trajectories_formats", "data_policy", "number_of_parallel_workers",
                           "dask_scheduler", "check_segmentation")
#: Parameters added after sessions had been tracked without them (each at its default then).
NEWER_PARAMETERS = ("random_seed",)
#: The session.json key of a finished session: the fingerprint of every parameter it ran with.
FINISHED_KEY = "tracking_fingerprint"


def fingerprint(settings: Settings, parameters: tuple[str, ...] | None, videos: list[list]) -> dict:
    """What a stage's result is a function of: ``parameters`` (None: every parameter that can
    change identities), the video files (path, size, modification time) and the version."""
    values = dump_settings(settings)
    names = parameters if parameters is not None else tuple(k for k in values if k not in NO_EFFECT_ON_IDENTITIES)
    return {"version": package_version(), "videos": videos, "parameters": {k: values[k] for k in names}}


def finished_fingerprint(settings: Settings, videos: list[list]) -> dict:
    """What a finished session is a function of: every parameter (output formats and data policy
    included) except how work was spread, which changes nothing written."""
    spread = ("number_of_parallel_workers", "dask_scheduler")
    return fingerprint(settings, tuple(k for k in dump_settings(settings) if k not in spread), videos)


def video_identity(paths: list[Path]) -> list[list]:
    """(path, bytes, mtime_ns) of each video file: a replaced recording is another input."""
    out = []
    for path in paths:
        stat = Path(path).stat()
        out.append([str(path), stat.st_size, stat.st_mtime_ns])
    return out


def as_of_now(stored: dict, expected: dict) -> dict:
    """A fingerprint written before some of ``expected``'s parameters existed, with those at their
    default: the value every session had before it could be set (``random_seed`` was 0), so a
    session tracked then still counts as tracked with them and resumes."""
    if not isinstance(stored.get("parameters"), dict):
        return stored
    defaults = dump_settings(Settings())
    missing = {k: defaults[k] for k in NEWER_PARAMETERS if k in expected["parameters"]}
    return {**stored, "parameters": {**missing, **stored["parameters"]}}


def same_fingerprint(stored: object, expected: dict) -> bool:
    """Whether a stored fingerprint is ``expected`` (read ``as_of_now``)."""
    return isinstance(stored, dict) and as_of_now(stored, expected) == expected


def changes(old: dict, new: dict) -> tuple[str, ...]:
    """What differs between two fingerprints, in words a user recognises (parameter names)."""
    found = [k for k in sorted(set(old.get("parameters", {})) | set(new["parameters"]))
             if old.get("parameters", {}).get(k) != new["parameters"].get(k)]
    if old.get("videos") != new["videos"]:
        found.append("video files")
    if old.get("version") != new["version"]:
        found.append(f"idtracker version ({old.get('version')} -> {new['version']})")
    return tuple(found)


@attrs.define
class Checkpoints:
    """Reads and writes one session's stage checkpoints through its store."""

    store: SessionStore
    events: EventSink

    def load(self, name: str, stage: str, expected: dict, report: bool = True) -> dict[str, np.ndarray] | None:
        """The arrays of checkpoint ``name`` when it was computed from ``expected``; None when it is
        absent or stale (with an event saying what changed, if ``report``)."""
        arrays = self.store.read_arrays(f"{FOLDER}/{name}.npz")
        if arrays is None or "fingerprint" not in arrays:
            return None
        found = json.loads(str(arrays.pop("fingerprint")))
        if not same_fingerprint(found, expected):
            if report:
                self.events.publish(ev.CheckpointOutdated(stage, changes(as_of_now(found, expected), expected)))
            return None
        return arrays

    def save(self, name: str, stamp: dict, arrays: dict[str, np.ndarray]) -> None:
        self.store.write_arrays(f"{FOLDER}/{name}.npz", {**arrays, "fingerprint": np.array(json.dumps(stamp))})

    def clear(self) -> None:
        """Start afresh (``--overwrite``): every checkpoint forgotten."""
        self.store.remove(FOLDER)


@attrs.define
class ContrastiveCheckpoint:
    """The session's ContrastiveMemory: a rejected contrastive step, kept for the accumulation that follows."""

    checkpoints: Checkpoints
    stamp: dict

    def recall(self) -> ContrastiveResult | None:
        kept = self.checkpoints.load("contrastive", "Tracking", self.stamp, report=False)  # identification said it
        if kept is None:
            return None
        self.checkpoints.events.publish(ev.CheckpointResumed("Tracking", "contrastive step (accumulation follows)"))
        return contrastive_from_arrays(kept)

    def keep(self, result: ContrastiveResult) -> None:
        self.checkpoints.save("contrastive", self.stamp, contrastive_arrays(result))


# --- segmentation ----------------------------------------------------------------------------


def episode_arrays(result: EpisodeBlobs) -> dict[str, np.ndarray]:
    """One episode's segmentation as plain arrays (no pickles: a session folder may come from anyone)."""
    e, b = result.episode, result.blobs
    arrays = {"episode": np.array([e.index, e.start, e.stop, e.file_index, e.local_start], np.int64),
              "frame": b.frame, "centroid": b.centroid, "area": b.area, "bbox": b.bbox,
              "contour_points": b.contour_points, "contour_offsets": b.contour_offsets, "links": result.links,
              "unreadable": np.array(result.unreadable_frames, np.int64)}
    for side, border in (("head", result.head), ("tail", result.tail)):
        arrays.update(_border_arrays(side, border))
    if isinstance(result.bbox_images, Path):
        arrays["bbox_path"] = np.array(str(result.bbox_images))
    elif result.bbox_images is not None:
        arrays["bbox_pixels"], arrays["bbox_offsets"] = result.bbox_images
    return arrays


def episode_from_arrays(a: dict[str, np.ndarray], needs_crops: bool) -> EpisodeBlobs | None:
    """The episode back; None when its crops file is gone and a later stage still needs the crops."""
    bbox: Path | tuple[np.ndarray, np.ndarray] | None = None
    if "bbox_path" in a:
        bbox = Path(str(a["bbox_path"]))
        if needs_crops and not bbox.is_file():
            return None
    elif "bbox_pixels" in a:
        bbox = (a["bbox_pixels"], a["bbox_offsets"])
    index, start, stop, file_index, local_start = (int(v) for v in a["episode"])
    blobs = BlobTable(a["frame"], a["centroid"], a["area"], a["bbox"], a["contour_points"], a["contour_offsets"])
    return EpisodeBlobs(Episode(index, start, stop, file_index, local_start), blobs, a["links"],
                        _border_from(a, "head"), _border_from(a, "tail"), bbox,
                        tuple(int(f) for f in a["unreadable"]))


def _border_arrays(side: str, border: BorderFrame) -> dict[str, np.ndarray]:
    shapes = np.array([m.shape for m in border.masks], np.int64).reshape(-1, 2)
    flat = np.concatenate([m.ravel() for m in border.masks]) if border.masks else np.zeros(0, bool)
    return {f"{side}_frame": np.array(border.frame, np.int64), f"{side}_boxes": border.boxes,
            f"{side}_shapes": shapes, f"{side}_masks": flat.astype(bool)}


def _border_from(a: dict[str, np.ndarray], side: str) -> BorderFrame:
    shapes, flat = a[f"{side}_shapes"], a[f"{side}_masks"]
    ends = np.cumsum([h * w for h, w in shapes]).astype(np.int64)
    starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
    masks = [flat[s:e].reshape(int(h), int(w)) for s, e, (h, w) in zip(starts, ends, shapes)]
    return BorderFrame(int(a[f"{side}_frame"]), a[f"{side}_boxes"], masks)


# --- crossing detection ----------------------------------------------------------------------


def crossing_arrays(result: CrossingResult) -> dict[str, np.ndarray]:
    """The stage's decisions; its identification images are not kept (they are rebuilt, exactly,
    from the crops when identification needs them)."""
    arrays = {"individual": result.individual, "area_model": np.array([result.area_model.median, result.area_model.std]),
              "body_length": np.array(result.body_length), "method": np.array(result.method)}
    if result.labels is not None:
        arrays["sure_individual"], arrays["sure_crossing"] = result.labels.sure_individual, result.labels.sure_crossing
    return arrays


def crossing_from_arrays(a: dict[str, np.ndarray]) -> CrossingResult:
    labels = CrossingLabels(a["sure_individual"], a["sure_crossing"]) if "sure_individual" in a else None
    median, std = (float(v) for v in a["area_model"])
    return CrossingResult(a["individual"], AreaModel(median, std), float(a["body_length"]), labels, str(a["method"]))


# --- identification --------------------------------------------------------------------------

_OPTIONAL_FLOATS = ("estimated_accuracy", "resolution_reduction", "ratio_accumulated", "velocity_threshold",
                    "silhouette_score", "fragment_connectivity")


def contrastive_arrays(result: ContrastiveResult) -> dict[str, np.ndarray]:
    """A contrastive step the accumulation protocol continues from."""
    return {"labels": result.labels, "evidence": result.evidence, "image_log_proba": result.image_log_proba,
            "centres": result.centres,
            "scores": np.array([result.silhouette_score, result.ratio_accumulated, result.batches], np.float64)}


def contrastive_from_arrays(a: dict[str, np.ndarray]) -> ContrastiveResult:
    silhouette, ratio, batches = (float(v) for v in a["scores"])
    return ContrastiveResult(a["labels"], a["evidence"], a["image_log_proba"], a["centres"], silhouette, ratio,
                             int(batches))


def identity_arrays(result: IdentityResult, groups: dict) -> dict[str, np.ndarray]:
    """Identities, their probabilities and every figure the outputs report, with the ROI groups."""
    meta = {name: getattr(result, name) for name in _OPTIONAL_FLOATS}
    meta.update(number_of_identities=result.number_of_identities, image_size=result.image_size,
                method=result.method, groups=groups,
                transfer=None if result.transfer is None else attrs.asdict(result.transfer))
    arrays = {"identities": result.identities, "meta": np.array(json.dumps(meta))}
    if result.probabilities is not None:
        arrays["probabilities"] = result.probabilities
    return arrays


def identity_from_arrays(a: dict[str, np.ndarray]) -> tuple[IdentityResult, dict]:
    meta = json.loads(str(a["meta"]))
    transfer = meta["transfer"]
    if transfer is not None:
        ids = transfer["class_identities"]
        transfer = TransferOutcome(transfer["succeeded"], transfer["quality"], None if ids is None else tuple(ids))
    result = IdentityResult(
        a["identities"], a.get("probabilities"), meta["number_of_identities"], meta["estimated_accuracy"],
        meta["image_size"], meta["resolution_reduction"], meta["ratio_accumulated"], meta["method"],
        meta["velocity_threshold"], meta["silhouette_score"], meta["fragment_connectivity"], transfer)
    return result, meta["groups"]
