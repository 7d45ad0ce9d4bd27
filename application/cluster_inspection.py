"""idtrackerai_inspect_clusters: a 2-D map of a session's contrastive embedding, coloured by identity.

Shows whether the contrastive step told the animals apart: one island per identity is a clean
separation; islands that touch or mix are identities the embedding confuses (and that
accumulation, or the user in the validator, had to settle).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import attrs
import numpy as np
from idtracker.domain.identity_transfer import sample_per_identity

from . import events as ev
from .errors import ModelUnusable, UserError
from .identity_matching import IdentifiedImages
from .ports import EventSink


@attrs.frozen
class ClusterMap:
    """The images shown: their fragment, identity (1-based), embedding (m, D) and map position (m, 2)."""

    fragment: np.ndarray
    identity: np.ndarray
    embedding: np.ndarray
    position: np.ndarray


@attrs.define
class InspectClusters:
    """Embeds a sample of each identity's images with the session's encoder and maps them to 2-D."""

    read_session: Callable[[Path], IdentifiedImages]
    load_embedding: Callable[[Path], object]
    project: Callable[[np.ndarray], np.ndarray]
    write_report: Callable[[Path, ClusterMap], list[Path]]
    events: EventSink

    def __call__(self, folder: Path, images_per_identity: int) -> list[Path]:
        """Files written into ``<folder>/cluster_inspection/`` (the picture first).

        Raises:
            UserError: not a session with images, or one without a contrastive encoder.
        """
        session = self.read_session(folder)
        try:
            encoder = self.load_embedding(folder)
        except ModelUnusable as reason:
            raise UserError(f"{folder}: {reason}") from None
        own = session.identity - 1
        shown = np.flatnonzero(session.is_individual & (own >= 0))
        n = int(max(session.number_of_animals, own.max() + 1 if len(own) else 0))
        shown = shown[sample_per_identity(own[shown], n, images_per_identity)]
        if len(shown) < 3:
            raise UserError(f"{folder}: fewer than 3 identified images; nothing to map")
        embedding = encoder.embed(session.images[shown])
        cluster_map = ClusterMap(session.fragment[shown], session.identity[shown], embedding, self.project(embedding))
        files = self.write_report(folder / "cluster_inspection", cluster_map)
        self.events.publish(ev.ClustersInspected(str(folder), len(shown), n, str(files[0])))
        return files
