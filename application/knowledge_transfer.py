"""Knowledge transfer: a previous session's model sets the image geometry, starts training and names the identities."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import attrs
import numpy as np
from idtracker.domain.identity_transfer import IdentityMatch, match_identities, sample_per_identity, vote_table

from . import events as ev
from .errors import ModelUnusable, UserError
from .ports import EventSink, TransferModel
from .settings import Settings

#: Images per identity the previous model scores to name it: the vote share of a match is then
#: known to about +-3 points (binomial, 300 draws), far finer than the majority bar it is held to.
VOTING_IMAGES_PER_IDENTITY = 300


@attrs.frozen
class TransferOutcome:
    """What identity transfer did: renamed or not, and how well the identities matched."""

    succeeded: bool
    quality: float | None
    #: Identity (1-based) that class k of this session's model became, when the identities were renamed.
    class_identities: tuple[int, ...] | None = None


def load_transfer(settings: Settings, load_model: Callable[[Path], TransferModel],
                  events: EventSink) -> tuple[Settings, TransferModel | None]:
    """The settings with the previous model's ``id_image_size`` and ``resolution_reduction`` (as the seed
    says), and the model; a folder without a usable model warns and tracks without transfer.

    Raises:
        UserError: the folder does not exist.
    """
    folder = settings.knowledge_transfer_folder
    if folder is None:
        return settings, None
    if not Path(folder).is_dir():
        raise UserError(f"knowledge_transfer_folder: {folder} is not a folder; give a previous session folder "
                        "or its accumulation folder")
    try:
        model = load_model(Path(folder))
    except ModelUnusable as reason:
        events.publish(ev.WarningRaised(f"knowledge_transfer_folder: {reason}; tracking without knowledge transfer"))
        return settings, None
    for name, own, inherited in (("id_image_size", settings.id_image_size, model.image_size),
                                 ("resolution_reduction", settings.resolution_reduction, model.resolution_reduction)):
        if own is not None and own != inherited:
            events.publish(ev.WarningRaised(f"{name}: {own} replaced by {inherited}, the value the model in "
                                            f"{folder} was trained with (knowledge transfer)"))
    events.publish(ev.KnowledgeTransferLoaded(str(model.source), model.kind, model.n_classes, model.image_size,
                                              model.resolution_reduction))
    return attrs.evolve(settings, id_image_size=model.image_size,
                        resolution_reduction=model.resolution_reduction), model


def transfer_identities(identities: np.ndarray, images: np.ndarray, blobs: np.ndarray, n: int,
                        model: TransferModel, events: EventSink) -> tuple[np.ndarray, TransferOutcome]:
    """Per-blob identities renamed to the previous session's when every identity matches by majority.

    Args:
        identities: (n_blobs,) 1-based identities, 0 = none.
        images: (n_blobs, S, S) identification images of every blob.
        blobs: the individual blobs, whose images vote.
        n: number of identities.
    """
    if model.n_classes != n:
        events.publish(ev.WarningRaised(
            f"knowledge_transfer_folder: the model knows {model.n_classes} identities and this session {n}; "
            "identities are not transferred (training still started from it where it could)"))
        return identities, TransferOutcome(False, None)
    own = identities[blobs] - 1
    labelled = np.flatnonzero(own >= 0)
    chosen = labelled[sample_per_identity(own[labelled], n, VOTING_IMAGES_PER_IDENTITY)]
    matched: IdentityMatch = match_identities(vote_table(own[chosen], model.log_proba(images[blobs[chosen]]), n))
    events.publish(ev.IdentitiesTransferred(matched.succeeded, matched.quality, tuple(int(m) + 1 for m in matched.match),
                                            tuple(round(float(a), 4) for a in matched.agreement)))
    if not matched.succeeded:
        return identities, TransferOutcome(False, matched.quality)
    renamed = np.where(identities > 0, matched.match[np.maximum(identities - 1, 0)] + 1, 0)
    return renamed.astype(identities.dtype), TransferOutcome(True, matched.quality,
                                                             tuple(int(m) + 1 for m in matched.match))
