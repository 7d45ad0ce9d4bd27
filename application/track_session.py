"""The tracking use case: settings in, a session folder with trajectories out.

Every stage is timed and published as an event; the orchestration here holds no image
processing, file format or framework code: those come in through the ports.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import attrs
import numpy as np
from idtracker.domain.crossing_resolution import follow_identities, split_positions
from idtracker.domain.episodes import normalise_intervals, plan_episodes
from idtracker.domain.fragments import Fragments, build_fragments
from idtracker.domain.exclusive_regions import blob_regions, links_within_regions
from idtracker.domain.id_image_geometry import id_image_geometry
from idtracker.domain.global_fragments import build_global_fragments, first_global_fragment, is_accumulable
from idtracker.domain.motion import fragment_ends

from . import events as ev
from .checkpoints import (
    CROSSING_PARAMETERS,
    FINISHED_KEY,
    SEGMENTATION_PARAMETERS,
    Checkpoints,
    ContrastiveCheckpoint,
    crossing_arrays,
    crossing_from_arrays,
    episode_arrays,
    episode_from_arrays,
    finished_fingerprint,
    fingerprint,
    identity_arrays,
    identity_from_arrays,
    same_fingerprint,
    video_identity,
)
from .compute_background import background_image
from .crossing_detection import CrossingDetection
from .data_policy import folders_to_remove
from .errors import UserError
from .identification_stage import ContrastiveMemory, IdentificationStage, IdentityResult
from .exclusive_rois import Region, check_regions, merge_regions, split_regions
from .identities import identities_single_animal, identities_without_identification
from .knowledge_transfer import load_transfer
from .motion_joins import MIN_JOIN_PROBABILITY, JoinedFragments, join_by_motion
from .ports import EventSink, ImageTools, SessionStore, TransferModel, VideoSource
from .segmentation import (
    EpisodeRunner,
    EpisodeSegmenter,
    SegmentedVideo,
    SegmenterSpec,
    number_of_workers,
    stitch,
)
from .session_setup import check_intervals, check_required, package_version, session_folder
from .settings import Settings, dump_settings
from .stage_clock import StageClock
from .trajectory_output import trajectories_output


@attrs.frozen
class SessionResult:
    """Where the session went and its headline numbers."""

    folder: Path
    trajectory_files: list[Path]
    number_of_identities: int
    fraction_identified: float
    stage_durations_s: dict[str, float]
    #: True when the folder already held this session, finished with the same parameters.
    already_done: bool = False


@attrs.define
class TrackSession:
    """Runs a whole tracking session with injected adapters."""

    open_video: Callable[[list[Path]], VideoSource]
    make_segmenter: Callable[[SegmenterSpec], EpisodeSegmenter]
    images: ImageTools
    open_store: Callable[[Path], SessionStore]
    events: EventSink
    crossings: CrossingDetection
    identification: IdentificationStage
    load_model: Callable[[Path], TransferModel]
    write_report: Callable[[Path], Path]
    make_runner: Callable[[Settings, int], EpisodeRunner]

    def __call__(self, settings: Settings, overwrite: bool = False) -> SessionResult:
        """Track the session; an interrupted one resumes from its checkpoints, a finished one with
        the same parameters is reported done. ``overwrite`` forgets the checkpoints and starts afresh."""
        check_required(settings)
        clock = StageClock()
        runner = self.make_runner(settings, number_of_workers(settings.number_of_parallel_workers))
        try:
            with clock.stage("Tracking session"):
                result = self._track(settings, clock, runner, overwrite)
        finally:
            runner.close()
        if result.already_done:
            return result
        self.events.publish(ev.SessionFinished(str(result.folder), clock.durations()["Tracking session"], clock.durations()))
        return attrs.evolve(result, stage_durations_s=clock.durations())

    def _track(self, settings: Settings, clock: StageClock, runner: EpisodeRunner, overwrite: bool) -> SessionResult:
        video = self.open_video(list(settings.video_paths))
        check_intervals(settings.tracking_intervals, video.number_of_frames)
        settings, transfer = load_transfer(settings, self.load_model, self.events)
        regions_image = None
        if settings.exclusive_rois:
            regions_image, n_regions = self.images.roi_regions(settings.roi_list, video.width, video.height)
            check_regions(n_regions)
            if transfer is not None:
                self.events.publish(ev.WarningRaised("knowledge_transfer_folder: identities are not transferred "
                                                     "with exclusive_rois (each region is identified on its own)"))
                transfer = None
        intervals = normalise_intervals(settings.tracking_intervals, video.number_of_frames)
        episodes = plan_episodes(video.file_boundaries, intervals, settings.frames_per_episode)
        workers = runner  # episodes of segmentation and identification images run through it
        videos = video_identity(list(settings.video_paths))
        done_stamp = finished_fingerprint(settings, videos)
        store = self.open_store(session_folder(settings, lambda folder: self._resumable(folder, settings, done_stamp)))
        checkpoints = Checkpoints(store, self.events)
        if overwrite:
            checkpoints.clear()
        elif (done := self._already_done(store, settings, done_stamp)) is not None:
            return done
        seg_stamp = fingerprint(settings, SEGMENTATION_PARAMETERS, videos)
        cross_stamp = fingerprint(settings, CROSSING_PARAMETERS, videos)
        id_stamp = fingerprint(settings, None, videos)
        info = {
            "version": package_version(), "width": video.width, "height": video.height,
            "frames_per_second": video.frames_per_second, "number_of_frames": video.number_of_frames,
            "tracking_intervals": [list(iv) for iv in intervals], "session_folder": str(store.folder),
            **_UNSET_KEYS, "identities_labels": [str(i + 1) for i in range(max(settings.number_of_animals, 0))],
        }

        def save(**updates: object) -> None:
            """session.json as far as the session got (written at the start and after every stage)."""
            info.update(updates, timers=clock.timers)
            store.write_json("session.json", {**dump_settings(settings), **info})

        save()
        self.events.publish(ev.SessionStarted(
            settings.session_name, str(store.folder), tuple(str(p) for p in settings.video_paths),
            video.number_of_frames, len(episodes), runner.workers, dump_settings(settings)))
        kept_ids = checkpoints.load("identification", "Tracking", id_stamp)
        kept_crossings = checkpoints.load("crossings", "Crossing detection", cross_stamp)
        needs_crops = kept_ids is None or kept_crossings is None

        with clock.stage("Animal detection"):
            t0 = time.perf_counter()
            segmented = self._segment(settings, video, intervals, store, episodes, workers,
                                      checkpoints, seg_stamp, needs_crops)
            error_frames = self._check_segmentation(settings, segmented, video.number_of_frames, store,
                                                    time.perf_counter() - t0)
        save(number_of_error_frames=error_frames)

        with clock.stage("Crossing detection") as stage:
            blobs, links = segmented.blobs, segmented.links
            if kept_crossings is not None:
                crossings = crossing_from_arrays(kept_crossings)
                self.events.publish(ev.CheckpointResumed("Crossing detection", crossings.method))
            else:
                crossings = self.crossings(settings, segmented, video.number_of_frames, workers, store.folder)
                checkpoints.save("crossings", cross_stamp, crossing_arrays(crossings))
            individual, area_model, body_length = crossings.individual, crossings.area_model, crossings.body_length
        self.events.publish(crossings.event(stage["duration_s"]))
        save(median_body_length=body_length, area_model={"median": area_model.median, "std": area_model.std})

        with clock.stage("Fragmentation") as stage:
            region, regions = None, None
            if regions_image is not None:
                region = blob_regions(regions_image, blobs)
                segmented = attrs.evolve(segmented, links=links_within_regions(links, region))
                links = segmented.links
                regions = split_regions(segmented, individual, region, int(regions_image.max()),
                                        settings.number_of_animals, video.number_of_frames)
            fragments = build_fragments(blobs.frame, links, individual, group=region)
            individual_blobs = fragments.is_individual[fragments.of_blob]
            joined = None if regions else join_by_motion(fragments, segmented, self.events,
                                                         _join_probability(settings), settings.number_of_animals)
            global_fragments = build_global_fragments(blobs.frame, fragments, video.number_of_frames,
                                                      settings.number_of_animals)
        self.events.publish(ev.FragmentsBuilt(
            len(fragments), int(fragments.is_individual.sum()), int((~fragments.is_individual).sum()),
            len(global_fragments), sum(is_accumulable(g, fragments) for g in global_fragments), stage["duration_s"]))
        accumulable = [g for g in global_fragments if is_accumulable(g, fragments)]
        save(first_frame_first_global_fragment=first_global_fragment(accumulable, fragments).start if accumulable else None)

        with clock.stage("Tracking") as stage:
            groups = {}
            if kept_ids is not None:
                ids, groups = identity_from_arrays(kept_ids)
                self.events.publish(ev.CheckpointResumed("Tracking", ids.method))
            elif regions:
                ids, groups = self._identify_regions(settings, regions, segmented, video.number_of_frames, body_length,
                                                     workers, store.folder, crossings.images)
            else:
                ids = self._identify(settings, segmented, joined, global_fragments, body_length, workers, store.folder,
                                     crossings.images, transfer, ContrastiveCheckpoint(checkpoints, id_stamp))
            if kept_ids is None:
                checkpoints.save("identification", id_stamp, identity_arrays(ids, groups))
        self.events.publish(ev.IdentitiesAssigned(ids.method, ids.number_of_identities, ids.estimated_accuracy,
                                                  stage["duration_s"]))
        save(number_of_identities=ids.number_of_identities, estimated_accuracy=ids.estimated_accuracy,
             identification_method=ids.method,
             id_image_size=ids.image_size, resolution_reduction=ids.resolution_reduction,
             ratio_accumulated_images=ids.ratio_accumulated, velocity_threshold=ids.velocity_threshold,
             silhouette_score=ids.silhouette_score, fragment_connectivity=ids.fragment_connectivity,
             identities_groups=groups, **_transfer_keys(ids))

        placed = {}
        if ids.method != "single animal":
            with clock.stage("Crossings solver") as stage:
                placements = follow_identities(blobs, links, ids.identities, individual_blobs)
                placed = split_positions(blobs, placements, ids.identities, area_model.median)
            self.events.publish(ev.CrossingsResolved(len(placements), len(placed), stage["duration_s"]))

        with clock.stage("Trajectories creation") as stage:
            identities, n_ids = ids.identities, ids.number_of_identities
            data = trajectories_output(info, settings, blobs, identities, n_ids, body_length,
                                       ids.estimated_accuracy, ids.probabilities, ids.silhouette_score, placed=placed,
                                       fragment_connectivity=ids.fragment_connectivity, identities_groups=groups)
            files = store.write_trajectories(data, list(settings.trajectories_formats))
            store.write_arrays("preprocessing/blobs.npz", _blob_arrays(segmented, individual, fragments, identities))
            store.remove("preprocessing/blobs_validated.npz")  # a validation of an earlier tracking of this folder
        self.events.publish(ev.TrajectoriesWritten(tuple(settings.trajectories_formats), str(store.folder / "trajectories"),
                                                   data["fraction_identified"], stage["duration_s"]))

        clock.finish("Tracking session")
        save()
        self._report(store.folder)
        removed = tuple(f for f in folders_to_remove(settings.data_policy) if store.remove(f))
        self.events.publish(ev.DataPolicyApplied(settings.data_policy, removed))
        save(**{FINISHED_KEY: {"fingerprint": done_stamp,
                               "files": [str(f.relative_to(store.folder)) for f in files],
                               "fraction_identified": data["fraction_identified"]}})
        return SessionResult(store.folder, files, n_ids, data["fraction_identified"], {})

    def _resumable(self, folder: Path, settings: Settings, done_stamp: dict) -> bool:
        """Whether an automatically named session folder is this session's own: the same videos,
        and interrupted, or finished with the same parameters (another finished session is kept)."""
        info = self.open_store(folder).read_json("session.json")
        if info is None or info.get("video_paths") != dump_settings(settings)["video_paths"]:
            return False
        finished = info.get(FINISHED_KEY)
        return finished is None or (isinstance(finished, dict) and same_fingerprint(finished.get("fingerprint"), done_stamp))

    def _already_done(self, store: SessionStore, settings: Settings, done_stamp: dict) -> SessionResult | None:
        """The finished session in ``store`` when it ran with these parameters and its trajectories are there."""
        info = store.read_json("session.json") or {}
        finished = info.get(FINISHED_KEY)
        if not isinstance(finished, dict) or not same_fingerprint(finished.get("fingerprint"), done_stamp):
            return None
        files = [store.folder / f for f in finished.get("files", [])]
        if not files or not all(f.exists() for f in files):
            return None
        self.events.publish(ev.SessionAlreadyDone(str(store.folder), str(store.folder / "trajectories")))
        return SessionResult(store.folder, files, int(info.get("number_of_identities") or 0),
                             float(finished.get("fraction_identified") or 0.0), {}, already_done=True)

    def _report(self, folder: Path) -> None:
        """report.html with the session's plots; a failure to draw it is a warning, never a lost session."""
        t0 = time.perf_counter()
        try:
            path = self.write_report(folder)
        except (UserError, OSError, ValueError) as error:
            self.events.publish(ev.WarningRaised(f"the session report could not be written: {error}"))
            return
        self.events.publish(ev.ReportWritten(str(path), time.perf_counter() - t0))

    def _segmenter_spec(self, settings: Settings, video: VideoSource, intervals, store: SessionStore) -> SegmenterSpec:
        roi = self.images.roi_mask(settings.roi_list, video.width, video.height)
        if roi is not None:
            self.images.write_image(store.folder / "preprocessing" / "ROI_mask.png", roi)
        background = self._background(settings, video, intervals, store) if settings.use_bkg else None
        bbox_folder = None if settings.bounding_box_images_in_ram else store.folder / "bounding_box_images"
        return SegmenterSpec(tuple(Path(p) for p in settings.video_paths), tuple(settings.intensity_ths),
                             tuple(settings.area_ths), roi, background, bbox_folder)

    def _background(self, settings: Settings, video: VideoSource, intervals, store: SessionStore) -> np.ndarray:
        t0 = time.perf_counter()
        stat = settings.background_subtraction_stat
        background, used = background_image(video, self.images, stat, settings.number_of_frames_for_background, intervals)
        path = store.folder / "preprocessing" / "background.png"
        self.images.write_image(path, background)
        self.events.publish(ev.BackgroundComputed(stat, used, str(path), time.perf_counter() - t0))
        return background

    def _segment(self, settings: Settings, video: VideoSource, intervals, store: SessionStore, episodes,
                 runner: EpisodeRunner, checkpoints: Checkpoints, stamp: dict, needs_crops: bool) -> SegmentedVideo:
        """Blobs of every episode: those checkpointed are read back, the others segmented (and each
        checkpointed as it ends). ``needs_crops``: a later stage will read the crops, so an episode
        whose crops file is gone (a data policy removed it) is segmented again."""
        results, todo = [], []
        for k, episode in enumerate(episodes):
            kept = checkpoints.load(f"episode_{episode.index}", "Animal detection", stamp, report=k == 0)
            result = None if kept is None else episode_from_arrays(kept, needs_crops)
            if result is not None and result.episode == episode:
                results.append(result)
            else:
                todo.append(episode)
        if results:
            self.events.publish(ev.CheckpointResumed("Animal detection", f"{len(results)} of {len(episodes)} episodes"))
        with self.events.progress("Segmenting video", sum(e.length for e in episodes)) as advance:
            advance(sum(r.episode.length for r in results))
            if todo:
                segmenter = self.make_segmenter(self._segmenter_spec(settings, video, intervals, store))
                for result in runner.map(segmenter, todo):
                    checkpoints.save(f"episode_{result.episode.index}", stamp, episode_arrays(result))
                    results.append(result)
                    advance(result.episode.length)
        return stitch(results)

    def _check_segmentation(self, settings: Settings, segmented: SegmentedVideo, number_of_frames: int,
                            store: SessionStore, duration: float) -> int:
        """Refuses unusable segmentations; returns the number of frames with more blobs than animals."""
        blobs = segmented.blobs
        if segmented.unreadable_frames:
            bad = sorted(segmented.unreadable_frames)
            raise UserError(f"video_paths: frame {bad[0]} cannot be decoded ({len(bad)} of the {number_of_frames} frames "
                            "cannot): the file is truncated or corrupt; copy it again, or set tracking_intervals to "
                            f"frames that can be read (e.g. [[0, {bad[0]}]])")
        if len(blobs) == 0:
            raise UserError("intensity_ths/area_ths: no blobs were found in any frame; check the thresholds "
                            "(and roi_list) against the video")
        counts = blobs.counts_per_frame(number_of_frames)
        n = settings.number_of_animals
        too_many = np.flatnonzero(counts > n) if n > 0 else np.zeros(0, np.int64)
        store.remove("inconsistent_frames.csv")
        if len(too_many):
            store.write_text("inconsistent_frames.csv", "\n".join(map(str, too_many)) + "\n")
            self.events.publish(ev.WarningRaised(f"{len(too_many)} frames have more blobs than animals "
                                                 f"(listed in inconsistent_frames.csv): {_short_list(too_many)}"))
        self.events.publish(ev.BlobsSegmented(len(blobs), number_of_frames, float(counts.mean()), len(too_many),
                                              int((counts == 0).sum()), number_of_frames / max(duration, 1e-9), duration))
        if settings.check_segmentation and len(too_many):
            raise UserError(f"check_segmentation: {len(too_many)} frames have more blobs than animals "
                            f"({_short_list(too_many)}); adjust intensity_ths, area_ths or roi_list")
        return len(too_many)

    def _identify_regions(self, settings: Settings, regions: list[Region], segmented: SegmentedVideo,
                          number_of_frames: int, body_length: float, workers: int, folder: Path,
                          images: np.ndarray | None) -> tuple[IdentityResult, dict]:
        """Each region identified on its own (its models in ``regions/Region_<k>/``), then merged."""
        if images is None and not settings.track_wo_identities:
            size, scale = id_image_geometry(body_length, settings.id_image_size, settings.resolution_reduction)
            t0 = time.perf_counter()
            images = self.identification.id_images.build(segmented, size, scale, workers,
                                                         folder / "identification_images")
            self.events.publish(ev.IdentificationImagesBuilt(len(images), size, scale, time.perf_counter() - t0))
        self.events.publish(ev.RegionsSplit(tuple(r.animals for r in regions)))
        results = []
        for region in regions:
            own = attrs.evolve(settings, number_of_animals=region.animals)
            if region.animals == 0:
                results.append(IdentityResult(np.zeros(len(region.blobs), np.int64), None, 0, None, None, None, None,
                                              "empty region"))
                continue
            fragments = build_fragments(region.segmented.blobs.frame, region.segmented.links, region.individual)
            joined = join_by_motion(fragments, region.segmented, self.events, _join_probability(settings),
                                    region.animals)
            global_fragments = build_global_fragments(region.segmented.blobs.frame, fragments, number_of_frames,
                                                      region.animals)
            results.append(self._identify(own, region.segmented, joined, global_fragments, body_length, workers,
                                          folder / "regions" / f"Region_{region.index}",
                                          None if images is None else images[region.blobs], None))
        return merge_regions(regions, results, len(segmented.blobs))

    def _identify(self, settings: Settings, segmented: SegmentedVideo, joined: JoinedFragments, global_fragments,
                  body_length: float, workers: int, folder: Path, images: np.ndarray | None,
                  transfer: TransferModel | None, memory: ContrastiveMemory | None = None) -> IdentityResult:
        if settings.track_wo_identities:
            # The tracklets' own ends: a slot's last tracklet is scored against a whole new one.
            ends = None if joined.model is None else fragment_ends(joined.fragments, joined.blobs.centroid,
                                                                   joined.blobs.area)
            identities, n_slots = identities_without_identification(joined.fragments, joined.model, ends)
            # No identities are claimed, so no accuracy is promised.
            return IdentityResult(identities, None, n_slots, None, None, None, None, "without identities")
        if settings.number_of_animals == 1:
            return IdentityResult(identities_single_animal(len(segmented.blobs)), None, 1, 1.0, None, None, None,
                                  "single animal")
        return self.identification(settings, segmented, joined.original, global_fragments, body_length, workers,
                                   folder, images, joined=joined, transfer=transfer, memory=memory)


#: idtracker.ai's session.json keys for what this session does not set (no validation, no setup
#: points, no calibration; transfer until identification says), so readers of its files find them all.
_UNSET_KEYS = {"identity_transfer_succeeded": False, "identities_groups": {}, "setup_points": {},
               "length_calibrations": [], "last_validated": None}


def _join_probability(settings: Settings) -> float:
    """Joins need sure motion with identities (appearance decides the rest); without, the most likely ones."""
    return 0.0 if settings.track_wo_identities else MIN_JOIN_PROBABILITY


def _transfer_keys(ids: IdentityResult) -> dict:
    """session.json's identity transfer keys: idtracker.ai's flag and, ours, the weakest match's agreement."""
    if ids.transfer is None:
        return {}
    return {"identity_transfer_succeeded": ids.transfer.succeeded, "identity_transfer_quality": ids.transfer.quality}


def _blob_arrays(segmented: SegmentedVideo, individual: np.ndarray, fragments: Fragments, identities: np.ndarray) -> dict:
    b = segmented.blobs
    return {
        "frame": b.frame, "centroid": b.centroid, "area": b.area, "bbox": b.bbox,
        "contour_points": b.contour_points, "contour_offsets": b.contour_offsets, "links": segmented.links,
        "is_individual": individual, "fragment": fragments.of_blob, "identity": identities,
    }


def _short_list(frames: np.ndarray, limit: int = 25) -> str:
    shown = ", ".join(map(str, frames[:limit]))
    return shown + (f" ... ({len(frames)} in all)" if len(frames) > limit else "")
