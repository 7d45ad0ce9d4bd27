"""What each DATA_POLICY value deletes from a finished session folder (the seed's table)."""

from __future__ import annotations

from .errors import UserError

BOUNDING_BOX_IMAGES = "bounding_box_images"
CROSSINGS_DETECTOR = "crossings_detector"
IDENTIFICATION_IMAGES = "identification_images"
ACCUMULATION = "accumulation"
#: With exclusive ROIs, each region's models (``regions/Region_<k>/accumulation``): kept and removed with accumulation.
REGIONS = "regions"
PREPROCESSING = "preprocessing"
#: Our stage checkpoints (resuming an interrupted run, rerunning with other parameters): kept while
#: the models are, removed with them.
CHECKPOINTS = "checkpoints"

_REMOVED = {
    "all": (),
    "idmatcher.ai": (BOUNDING_BOX_IMAGES, CROSSINGS_DETECTOR),
    "knowledge_transfer": (BOUNDING_BOX_IMAGES, CROSSINGS_DETECTOR, IDENTIFICATION_IMAGES),
    "validation": (BOUNDING_BOX_IMAGES, CROSSINGS_DETECTOR, IDENTIFICATION_IMAGES, ACCUMULATION, REGIONS,
                   CHECKPOINTS),
    "trajectories": (BOUNDING_BOX_IMAGES, CROSSINGS_DETECTOR, IDENTIFICATION_IMAGES, ACCUMULATION, REGIONS,
                     PREPROCESSING, CHECKPOINTS),
}


def folders_to_remove(policy: str) -> tuple[str, ...]:
    """Session sub-folders the policy deletes after a successful run."""
    try:
        return _REMOVED[policy]
    except KeyError:
        raise UserError(f"data_policy: unknown value {policy!r}; valid: {', '.join(_REMOVED)}") from None
