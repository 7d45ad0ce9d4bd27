"""Every tracking parameter of idtracker.ai, with its default, meaning and help group.

One attrs class is the single source of truth: the TOML loader, the CLI parser (its ``-h`` groups,
defaults and choices) and the GUI all build a :class:`Settings` and nothing else.
"""

from __future__ import annotations

from pathlib import Path

import attrs

GENERAL = "General"
OUTPUT = "Output"
BACKGROUND = "Background Subtraction"
PARALLEL = "Parallel processing"
TRANSFER = "Knowledge and identity transfer"
CHECKS = "Checks"
CONTRASTIVE = "Contrastive"
ADVANCED = "Advanced hyperparameter"

TRAJECTORY_FORMATS = ("h5", "npy", "csv", "csv_tidy", "pickle", "parquet", "nc")
DATA_POLICIES = ("trajectories", "validation", "knowledge_transfer", "idmatcher.ai", "all")
BACKGROUND_STATS = ("median", "mean", "max", "min")

#: Parameters idtracker.ai removed; naming one is an error that says so.
REMOVED_PARAMETERS = {
    "add_time_column_to_csv": "the time column is always written",
    "convert_trajectories_to_csv_and_json": "use trajectories_formats instead",
    "protocol3_action": "protocol 3 was replaced by the contrastive step",
    "threshold_acceptable_accumulation": "protocol 3 was replaced by the contrastive step",
    "maximum_number_of_parachute_accumulations": "protocol 3 was replaced by the contrastive step",
    "max_ratio_of_pretrained_images": "protocol 3 was replaced by the contrastive step",
    "identity_transfer": "use knowledge_transfer_folder instead",
}


def _param(default, group: str, help: str, metavar: str, choices: tuple[str, ...] | None = None,
           nargs: str | int | None = None):
    """An attrs field carrying what the CLI needs to show and parse it."""
    meta = {"group": group, "help": help, "metavar": metavar, "choices": choices, "nargs": nargs}
    if isinstance(default, list):
        return attrs.field(factory=lambda: list(default), metadata=meta)
    return attrs.field(default=default, metadata=meta)


@attrs.define(kw_only=True)
class Settings:
    """The parameters of one tracking session (names are the seed's, lower case)."""

    name: str | None = _param(None, GENERAL, "Name of the session. Defaults to the name of the video files if not specified.", "str")
    video_paths: list[Path] = _param([], GENERAL, "List of paths to the video files to track.", "path", nargs="+")
    intensity_ths: tuple[float, float] | None = _param(None, GENERAL, "Blob intensity thresholds. If using background subtraction, the second value is the background difference threshold.", "float", nargs=2)
    area_ths: tuple[float, float] | None = _param(None, GENERAL, "Blob area thresholds (min, max).", "float", nargs=2)
    tracking_intervals: list[tuple[int, int]] | None = _param(None, GENERAL, 'Tracking intervals in frames. Examples: "0,100", "[0,100]", "[0,100] [150,200] ...". If not set, the whole video is tracked.', "pair_of_ints", nargs="+")
    number_of_animals: int = _param(0, GENERAL, "Number of different animals that appear in the video.", "int")
    use_bkg: bool = _param(False, GENERAL, "Compute and extract background to improve blob identification.", "bool")
    resolution_reduction: float | None = _param(None, GENERAL, "Video resolution reduction factor for identification images. 0 = maximum reduction, 1 = no reduction.", "float")
    exclusive_rois: bool = _param(False, GENERAL, "Treat each separate ROI as a closed group of identities.", "bool")
    track_wo_identities: bool = _param(False, GENERAL, "Track the video without assigning identities (no AI identification).", "bool")
    roi_list: list[str] | None = _param(None, GENERAL, "List of polygons defining the Region Of Interest (ROI).", "str", nargs="+")
    check_segmentation: bool = _param(False, CHECKS, "Abort tracking if any frame has more blobs than animals (to avoid non-animal blobs contaminating identification).", "bool")

    output_dir: Path | None = _param(None, OUTPUT, "Output directory where the session folder will be saved. Defaults to the parent directory of the video files.", "path")
    trajectories_formats: list[str] = _param(["h5", "npy", "csv"], OUTPUT, "List of formats for saving trajectory files.", "str", TRAJECTORY_FORMATS, nargs="+")
    bounding_box_images_in_ram: bool = _param(False, OUTPUT, "If true, bounding box images are kept in RAM until no longer needed. Otherwise, they are saved to disk and loaded as needed.", "bool")
    data_policy: str = _param("idmatcher.ai", OUTPUT, "Data retention policy for the session folder after successful tracking.", "str", DATA_POLICIES)

    background_subtraction_stat: str = _param("median", BACKGROUND, "Statistical method to compute the background (choices: median, mean, max, min). Set a file path to load a custom background image.", "str")
    number_of_frames_for_background: int = _param(50, BACKGROUND, "Number of frames used to compute the background. More frames increase accuracy but also memory and computation time.", "int")

    number_of_parallel_workers: int = _param(0, PARALLEL, "Maximum number of parallel workers for segmentation and identification image creation. Negative: CPUs minus value. Zero: half of CPUs (max 4). One: no multiprocessing.", "int")
    dask_scheduler: str | None = _param(None, PARALLEL, "Run the episodes of segmentation and identification images as Dask tasks: 'local' (a LocalCluster on this machine) or a scheduler address such as tcp://10.0.0.5:8786. Empty: no Dask.", "str")
    frames_per_episode: int = _param(500, PARALLEL, "Maximum number of frames per video chunk (episode) for parallel processing.", "int")

    knowledge_transfer_folder: Path | None = _param(None, TRANSFER, "Path to a previous session or accumulation folder to transfer model knowledge from.", "path")
    id_image_size: int | None = _param(None, TRANSFER, "Size (in pixels) of the identification images used for tracking.", "int")

    disable_contrastive: bool = _param(False, CONTRASTIVE, "Skip contrastive learning and go directly to the accumulation protocol.", "bool")
    contrastive_max_mbytes: float | None = _param(None, CONTRASTIVE, "Maximum RAM (in megabytes) for preloading identification images during contrastive training.", "float")
    contrastive_min_accumulation: float = _param(0.5, CONTRASTIVE, "Minimum fraction of images that need to be accumulated for taking the contrastive step as sufficient.", "float")
    contrastive_batchsize: int = _param(400, CONTRASTIVE, "Number of image pairs per batch in contrastive training. Larger values require more GPU memory.", "int")
    contrastive_silhouette_target: float = _param(0.91, CONTRASTIVE, "Minimum silhouette score (0 to 1) required for contrastive training to finish.", "float")
    contrastive_patience: int = _param(30, CONTRASTIVE, "Number of training steps without improvement before early stopping contrastive training.", "int")

    threshold_early_stop_accumulation: float = _param(0.999, ADVANCED, "Fraction of accumulated images needed to early stop the accumulation process.", "float")
    maximal_images_per_animal: int = _param(3000, ADVANCED, "Maximum number of images per animal used to train the identification CNN in each accumulation step.", "int")
    device: str = _param("", ADVANCED, "Device name for torch.device() (e.g., 'cpu', 'cuda', 'cuda:0'). Leave empty for automatic selection.", "str")
    torch_compile: bool = _param(False, ADVANCED, "If true, models are compiled with torch.compile for faster execution (may not be compatible with all devices).", "bool")
    random_seed: int = _param(0, ADVANCED, "Seed of the random choices in training the networks (initial weights, images sampled, k-means starts): on the CPU the same video and parameters give the same identities; another seed is another, equally valid run. Not an idtracker.ai parameter.", "int")

    @property
    def session_name(self) -> str:
        """The explicit name, else the video stems joined with '&' (idtracker.ai's rule)."""
        if self.name:
            return self.name
        return "&".join(Path(p).stem for p in self.video_paths)


def parameter_names() -> list[str]:
    """Names of every settable parameter, in help order."""
    return [f.name for f in attrs.fields(Settings)]


def dump_settings(settings: Settings) -> dict[str, object]:
    """Plain values for ``session.json`` or a TOML file: paths as text, unset as ``''``, no tuples.

    The result loads back to equal settings with the TOML loader's ``structure_settings``.
    """
    return {field.name: _plain(getattr(settings, field.name)) for field in attrs.fields(Settings)}


def _plain(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
