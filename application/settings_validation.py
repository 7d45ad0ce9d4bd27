"""Value checks on a :class:`Settings`, run before any video is opened.

Types are already right when these run (the loaders structure them); what is checked here is whether
each value can work, so that a typo fails in a second with one line naming the parameter, the bad
value and what is valid, instead of hours later inside the pipeline. Video files are not checked here:
the tracking use case opens them and reports on them.
"""

from __future__ import annotations

import re
from pathlib import Path

from idtracker.domain.id_image_geometry import MIN_ID_IMAGE_SIZE
from idtracker.domain.roi import Roi, RoiSyntaxError, parse_roi_list

from .errors import UserError
from .settings import BACKGROUND_STATS, DATA_POLICIES, TRAJECTORY_FORMATS, Settings

_POSITIVE_COUNTS = ("frames_per_episode", "number_of_frames_for_background", "contrastive_batchsize",
                    "contrastive_patience", "maximal_images_per_animal")
_FRACTIONS = ("contrastive_min_accumulation", "contrastive_silhouette_target", "threshold_early_stop_accumulation")
#: Largest seed every random generator training uses takes (k-means takes 32-bit seeds).
MAX_RANDOM_SEED = 2 ** 32 - 1
# torch.device names: a device type, optionally with an index ("cpu", "cuda", "cuda:1", "mps").
_DEVICE = re.compile(r"[a-z][a-z0-9_]*(:\d+)?")


def check_settings(settings: Settings) -> None:
    """Raise :class:`UserError` for the first parameter whose value cannot work."""
    _check_counts(settings)
    _check_fractions(settings)
    _check_thresholds(settings)
    _check_intervals(settings)
    _check_choices(settings)
    _check_names(settings)
    parse_rois(settings.roi_list)


def parse_rois(roi_list: list[str] | None) -> list[Roi]:
    """The shapes of ``roi_list`` (none when unset), or a :class:`UserError` naming the bad entry."""
    try:
        return parse_roi_list(roi_list or [])
    except RoiSyntaxError as error:
        raise UserError(str(error)) from None


def _check_counts(settings: Settings) -> None:
    _at_least("number_of_animals", settings.number_of_animals, 0)
    _at_least("random_seed", settings.random_seed, 0)
    if settings.random_seed > MAX_RANDOM_SEED:
        raise UserError(f"random_seed: {settings.random_seed} is too large; it must be an integer <= {MAX_RANDOM_SEED}")
    for name in _POSITIVE_COUNTS:
        _at_least(name, getattr(settings, name), 1)
    if settings.id_image_size is not None and settings.id_image_size < MIN_ID_IMAGE_SIZE:
        raise UserError(f"id_image_size: {settings.id_image_size} is too small; it must be an integer >= "
                        f"{MIN_ID_IMAGE_SIZE} (the identification networks halve the image three times)")


def _at_least(name: str, value: int, minimum: int) -> None:
    if value < minimum:
        raise UserError(f"{name}: {value!r} is too small; it must be an integer >= {minimum}")


def _check_fractions(settings: Settings) -> None:
    for name in _FRACTIONS:
        value = getattr(settings, name)
        if not 0 <= value <= 1:
            raise UserError(f"{name}: {value!r} is out of range; it must be a fraction between 0 and 1")
    reduction = settings.resolution_reduction
    if reduction is not None and not 0 < reduction <= 1:
        raise UserError(f"resolution_reduction: {reduction!r} is out of range; it must be > 0 and <= 1 (1 = no reduction)")
    megabytes = settings.contrastive_max_mbytes
    if megabytes is not None and not megabytes > 0:
        raise UserError(f"contrastive_max_mbytes: {megabytes!r} is out of range; it must be > 0 (or '' for a quarter of the RAM)")


def _check_thresholds(settings: Settings) -> None:
    if settings.intensity_ths is not None:
        low, high = settings.intensity_ths
        if not 0 <= low <= high <= 255:
            raise UserError(f"intensity_ths: {list(settings.intensity_ths)} is invalid; "
                            "give [low, high] with 0 <= low <= high <= 255")
    if settings.area_ths is not None:
        smallest, largest = settings.area_ths
        if not 0 <= smallest <= largest or smallest == float("inf"):
            raise UserError(f"area_ths: {list(settings.area_ths)} is invalid; "
                            "give [min, max] in pixels with 0 <= min <= max (max may be inf)")


def _check_intervals(settings: Settings) -> None:
    for start, end in settings.tracking_intervals or []:
        if not 0 <= start < end:
            raise UserError(f"tracking_intervals: [{start}, {end}] is invalid; "
                            "each interval is [start, end) in frames with 0 <= start < end")


def _check_choices(settings: Settings) -> None:
    for fmt in settings.trajectories_formats:
        if fmt not in TRAJECTORY_FORMATS:
            raise UserError(f"trajectories_formats: {fmt!r} is not a format; choose among {', '.join(TRAJECTORY_FORMATS)}")
    if settings.data_policy not in DATA_POLICIES:
        raise UserError(f"data_policy: {settings.data_policy!r} is not a policy; choose one of {', '.join(DATA_POLICIES)}")
    stat = settings.background_subtraction_stat
    if stat not in BACKGROUND_STATS and not Path(stat).is_file():
        raise UserError(f"background_subtraction_stat: {stat!r} is neither a statistic ({', '.join(BACKGROUND_STATS)}) "
                        "nor an existing image file")


def _check_names(settings: Settings) -> None:
    if settings.device and not _DEVICE.fullmatch(settings.device):
        raise UserError(f"device: {settings.device!r} is not a torch device name; "
                        "use '' (automatic), 'cpu', 'cuda', 'cuda:0' or 'mps'")
    if settings.name and any(sep in settings.name for sep in "/\\"):
        raise UserError(f"name: {settings.name!r} contains a path separator; "
                        "the name becomes the folder session_<name>, so give a plain name")
