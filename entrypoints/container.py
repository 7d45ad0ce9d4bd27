"""The one place that knows every adapter: wires them into the use cases."""

from __future__ import annotations

from pathlib import Path

from dependency_injector import containers, providers
from idtracker.adapters.events.structlog_sink import StructlogEventSink
from idtracker.adapters.identification.id_images import OpenCvIdentificationImages
from idtracker.adapters.segmentation.opencv_image_tools import OpenCvImageTools
from idtracker.adapters.segmentation.opencv_segmenter import segmenter_from_spec
from idtracker.adapters.storage.session_folder import SessionFolder
from idtracker.adapters.video.opencv_video import OpenCvVideoSource
from idtracker.application import events as ev
from idtracker.application.crossing_detection import CrossingDetection
from idtracker.application.identification_stage import IdentificationStage
from idtracker.application.cluster_inspection import InspectClusters
from idtracker.application.identity_matching import MatchIdentities
from idtracker.application.segmentation_preview import SegmentationPreview
from idtracker.application.tracked_video import MakeTrackedVideo
from idtracker.application.validation import Validation
from idtracker.application.settings import Settings
from idtracker.application.track_session import TrackSession


def torch_classifier(image_size: int, n_classes: int, settings: Settings):
    """The identity CNN, class-balanced (accumulation's labelled set is uneven between animals);
    torch is imported only when a session needs identities."""
    from idtracker.adapters.identification.torch_classifier import TorchIdentityClassifier

    return TorchIdentityClassifier(image_size, n_classes, settings.device, seed=settings.random_seed,
                                   compile=settings.torch_compile, balanced=True)


def torch_crossing_detector(image_size: int, settings: Settings):
    """The 2-class crossing CNN (same network, individual vs crossing); torch imported on demand."""
    from idtracker.adapters.identification.torch_classifier import TorchIdentityClassifier

    return TorchIdentityClassifier(image_size, 2, settings.device, seed=settings.random_seed,
                                   compile=settings.torch_compile, name="crossing_detector")


def torch_contrastive_encoder(settings: Settings):
    """The contrastive encoder; torch is imported only when a session needs identities."""
    from idtracker.adapters.identification.torch_contrastive import TorchContrastiveEncoder

    return TorchContrastiveEncoder(settings.contrastive_batchsize, settings.device, settings.contrastive_max_mbytes,
                                   seed=settings.random_seed, compile=settings.torch_compile)


def torch_transfer_model(folder: Path):
    """A previous session's model for knowledge transfer, read as data only; torch imported on demand."""
    from idtracker.adapters.identification.transfer_model import load_transfer_model

    return load_transfer_model(folder)


def session_images(folder: Path):
    """A finished session's identification images and identities (h5py, numpy)."""
    from idtracker.adapters.storage.session_images import read_identified_images

    return read_identified_images(folder)


def matching_report(folder: Path, match):
    """idmatcher.ai's CSV and PNG files; matplotlib imported only when they are written."""
    from idtracker.adapters.storage.matching_report import write_matching_report

    return write_matching_report(folder, match)


def torch_embedding(folder: Path):
    """A session's contrastive encoder, read as data only; torch imported on demand."""
    from idtracker.adapters.identification.transfer_model import load_embedding

    return load_embedding(folder)


def tsne_projection(x):
    """2-D t-SNE from scikit-learn, imported on demand."""
    from idtracker.adapters.identification.sklearn_clustering import tsne_2d

    return tsne_2d(x)


def cluster_report(folder: Path, cluster_map):
    """idtrackerai_inspect_clusters' PNG and CSV; matplotlib imported on demand."""
    from idtracker.adapters.storage.cluster_report import write_cluster_report

    return write_cluster_report(folder, cluster_map)


def session_json(folder: Path) -> dict:
    """A session's session.json, read as bounded data."""
    from idtracker.adapters.storage.session_images import read_session_json

    return read_session_json(folder)


def trajectories_of(path: Path) -> dict:
    """Trajectories from any of idtracker.ai's formats (pickles restricted to data)."""
    from idtracker.adapters.storage.trajectory_files import read_trajectories

    return read_trajectories(path)


def tracked_video_renderer():
    """The OpenCV tracked-video renderer."""
    from idtracker.adapters.video.tracked_video_renderer import OpenCvTrackedVideoRenderer

    return OpenCvTrackedVideoRenderer()


def frame_segmenter(intensity_ths, area_ths, roi_mask, background):
    """The tracker's own frame segmenter, for the segmentation app's live preview."""
    from idtracker.adapters.segmentation.opencv_segmenter import FrameSegmenter

    return FrameSegmenter(intensity_ths, area_ths, roi_mask, background)


def read_session_blobs(folder: Path):
    """A session's blobs for the validator (numpy, no pickles)."""
    from idtracker.adapters.storage.validation_files import read_session_blobs as read

    return read(folder)


def write_validated_blobs(folder: Path, identity, placed: dict) -> Path:
    from idtracker.adapters.storage.validation_files import write_validated_blobs as write

    return write(folder, identity, placed)


def write_json(path: Path, data: dict) -> Path:
    from idtracker.adapters.storage.validation_files import write_json as write

    return write(path, data)


def write_trajectory_files(data: dict, folder: Path, formats: list[str], stem: str = "trajectories"):
    from idtracker.adapters.storage.trajectory_files import write_trajectories

    return write_trajectories(data, folder, formats, stem=stem)


def session_report(folder: Path) -> Path:
    """report.html for a session; matplotlib imported on demand."""
    from idtracker.adapters.report.session_report import write_report

    return write_report(folder)


def episode_runner(settings: Settings, workers: int):
    """Where episodes run: Dask tasks with dask_scheduler set, else ``workers`` local processes."""
    from idtracker.application.segmentation import ProcessRunner

    if not settings.dask_scheduler:
        return ProcessRunner(workers)
    from idtracker.adapters.compute.dask_runner import DaskRunner

    return DaskRunner(settings.dask_scheduler, workers)


def sklearn_clustering():
    """k-means and silhouette; scikit-learn is imported only when a session needs identities."""
    from idtracker.adapters.identification.sklearn_clustering import SklearnClustering

    return SklearnClustering()


class Container(containers.DeclarativeContainer):
    """Adapters for a local run: OpenCV video, files on disk, structlog events."""

    config = providers.Configuration()
    events = providers.Singleton(
        StructlogEventSink,
        log_path=config.log_path.as_(Path),
        console=config.console.as_(bool),
    )
    images = providers.Singleton(OpenCvImageTools)
    id_images = providers.Factory(OpenCvIdentificationImages)
    crossings = providers.Factory(
        CrossingDetection,
        id_images=id_images,
        make_detector=providers.Object(torch_crossing_detector),
        events=events,
    )
    identification = providers.Factory(
        IdentificationStage,
        id_images=id_images,
        make_classifier=providers.Object(torch_classifier),
        make_encoder=providers.Object(torch_contrastive_encoder),
        clustering=providers.Factory(sklearn_clustering),
        events=events,
    )
    track_session = providers.Factory(
        TrackSession,
        open_video=providers.Object(OpenCvVideoSource),
        make_segmenter=providers.Object(segmenter_from_spec),
        images=images,
        open_store=providers.Object(SessionFolder),
        events=events,
        crossings=crossings,
        identification=identification,
        load_model=providers.Object(torch_transfer_model),
        write_report=providers.Object(session_report),
        make_runner=providers.Object(episode_runner),
    )

    match_identities = providers.Factory(
        MatchIdentities,
        read_session=providers.Object(session_images),
        load_model=providers.Object(torch_transfer_model),
        write_report=providers.Object(matching_report),
        events=events,
    )

    inspect_clusters = providers.Factory(
        InspectClusters,
        read_session=providers.Object(session_images),
        load_embedding=providers.Object(torch_embedding),
        project=providers.Object(tsne_projection),
        write_report=providers.Object(cluster_report),
        events=events,
    )

    tracked_video = providers.Factory(
        MakeTrackedVideo,
        open_video=providers.Object(OpenCvVideoSource),
        read_session=providers.Object(session_json),
        read_trajectories=providers.Object(trajectories_of),
        renderer=providers.Factory(tracked_video_renderer),
        events=events,
    )

    segmentation_preview = providers.Factory(
        SegmentationPreview,
        images=images,
        make_segmenter=providers.Object(frame_segmenter),
    )

    validation = providers.Factory(
        Validation,
        read_session=providers.Object(session_json),
        read_blobs=providers.Object(read_session_blobs),
        read_trajectories=providers.Object(trajectories_of),
        write_trajectories=providers.Object(write_trajectory_files),
        write_validated_blobs=providers.Object(write_validated_blobs),
        write_json=providers.Object(write_json),
        events=events,
    )


def local_container(log_path: Path = Path("idtrackerai.log"), console: bool = True) -> Container:
    """A container configured for a terminal run writing ``./idtrackerai.log``."""
    container = Container()
    container.config.from_dict({"log_path": str(log_path), "console": console})
    return container


def build_auto_tracking(folder: Path, queue, defaults: list[Path], output_dir: Path | None, settle_s: float,
                        log_path: Path, dask_scheduler: str | None = None):
    """The daemon's AutoTracking use case wired to OpenCV, TOML settings and the tracking session,
    with events to ``log_path`` and the terminal; returns it and its event sink (to close). With
    ``dask_scheduler`` (``local`` or an address), sessions run as Dask tasks, one per worker."""
    import os

    from idtracker.adapters.config.toml_settings import load_toml, merge, structure_settings
    from idtracker.application.auto_tracking import AutoTracking, FileFacts
    from idtracker.application.errors import UserError

    container = local_container(log_path, console=True)
    events = container.events()

    def stat(path: Path):
        try:
            info = os.stat(path)
        except OSError:
            return None
        return FileFacts(info.st_size, info.st_mtime)

    def decodes(path: Path) -> str | None:
        try:
            video = OpenCvVideoSource([path])
            last = video.number_of_frames - 1
            frames = [gray for t in (0, last) for _, gray in video.read_gray(t, t + 1)]
        except UserError as error:
            return str(error)
        if any(f is None for f in frames) or not frames:
            return f"{path}: not every frame can be decoded (the file is incomplete or corrupt)"
        return None

    def settings_for(video: Path):
        sidecar = video.with_suffix(".toml")
        files = [*defaults, *([sidecar] if sidecar.is_file() else [])]
        given = {"video_paths": [str(video)], **({"output_dir": str(output_dir)} if output_dir else {})}
        merged = merge([*(load_toml(f) for f in files), given])
        # One session folder per video (a run interrupted by a kill is redone in the same folder):
        # its sidecar may name it, the defaults may not (every video would share one folder).
        own = load_toml(sidecar).get("name") if sidecar.is_file() else None
        return structure_settings({**{k: v for k, v in merged.items() if v is not None}, "name": own or video.stem})

    def track(settings):
        events.bind_session(settings.session_name)
        return container.track_session()(settings).folder

    launcher = None
    if dask_scheduler:
        from idtracker.adapters.compute.dask_sessions import DaskSessionLauncher
        from idtracker.entrypoints.session_task import track_on_worker

        launcher = DaskSessionLauncher(dask_scheduler, track_on_worker, os.cpu_count() or 1)
        events.publish(ev.SessionsOnDask(dask_scheduler, launcher.capacity))
    auto = AutoTracking(queue, stat, decodes, settings_for, track, events, settle_s, str(log_path), launcher=launcher)
    return auto, events
