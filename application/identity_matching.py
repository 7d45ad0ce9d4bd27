"""idmatcher.ai: which identity of a master session each identity of other sessions of the same animals is."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import attrs
import numpy as np
from idtracker.domain.identity_transfer import sample_per_identity
from idtracker.domain.session_matching import SessionMatch, count_table, match_sessions

from . import events as ev
from .errors import ModelUnusable, UserError
from .ports import EventSink, TransferModel

#: Images per identity each model names: the counts' shares are then known to about +-1 point,
#: and a model scores them in seconds on a CPU (idtracker.ai takes up to 10000 per animal).
IMAGES_PER_IDENTITY = 3000


@attrs.frozen
class IdentifiedImages:
    """A session's identification images (one per blob), the 1-based identity of each (0 = none),
    its fragment and whether it shows one animal, and the session's geometry."""

    folder: Path
    images: np.ndarray
    identity: np.ndarray
    fragment: np.ndarray
    is_individual: np.ndarray
    number_of_animals: int
    image_size: int
    version: str


@attrs.define
class MatchIdentities:
    """Matches each session's identities to the master's by each one's model on the other's images."""

    read_session: Callable[[Path], IdentifiedImages]
    load_model: Callable[[Path], TransferModel]
    write_report: Callable[[Path, SessionMatch], list[Path]]
    events: EventSink

    def __call__(self, master: Path, sessions: Sequence[Path]) -> list[SessionMatch]:
        """One match per session, its files in ``<session>/matching_results/<master folder name>/``.

        Raises:
            UserError: a folder is not a session with images and a model, or its identification
                images differ in size from the master's (each model reads only its own size).
        """
        reference = self._session(master)
        others = [self._session(folder) for folder in sessions]
        for other in others:
            if other[0].image_size != reference[0].image_size:
                raise UserError(f"{other[0].folder}: identification images of {other[0].image_size} px, the master's "
                                f"{master} are {reference[0].image_size} px; idmatcher.ai needs sessions tracked "
                                "with the same id_image_size (set it, or knowledge_transfer_folder, when tracking)")
        return [self._match(reference, other) for other in others]

    def _session(self, folder: Path) -> tuple[IdentifiedImages, TransferModel]:
        session = self.read_session(folder)
        try:
            model = self.load_model(folder)
        except ModelUnusable as reason:
            raise UserError(f"{folder}: no usable identification model ({reason})") from None
        return session, model

    def _match(self, master: tuple[IdentifiedImages, TransferModel],
               other: tuple[IdentifiedImages, TransferModel]) -> SessionMatch:
        (m_images, m_model), (o_images, o_model) = master, other
        for a, b, what in ((m_images.number_of_animals, o_images.number_of_animals, "numbers of animals"),
                           (m_images.version, o_images.version, "versions")):
            if a != b:
                self.events.publish(ev.WarningRaised(f"{o_images.folder} and {m_images.folder} have different "
                                                     f"{what} ({b} and {a}); matching them anyway"))
        n_master, n_other = m_model.n_classes, o_model.n_classes
        direct = _counts(o_images, m_model, n_other, n_master)
        indirect = _counts(m_images, o_model, n_master, n_other).T
        match = match_sessions(direct, indirect)
        files = self.write_report(o_images.folder / "matching_results" / m_images.folder.name, match)
        self.events.publish(ev.SessionsMatched(
            str(m_images.folder), str(o_images.folder), match.agreement, float(np.nanmean(match.direct_score)),
            float(np.nanmean(match.indirect_score)),
            float(np.nanmean(np.concatenate([match.direct_score, match.indirect_score]))),
            tuple(int(a) + 1 for a in match.assignment), str(files[0])))
        return match


def _counts(session: IdentifiedImages, model: TransferModel, n_rows: int, n_cols: int) -> np.ndarray:
    """(n_rows, n_cols) images of each of ``session``'s identities by the identity ``model`` gives them."""
    own = session.identity - 1
    labelled = np.flatnonzero((own >= 0) & (own < n_rows))
    chosen = labelled[sample_per_identity(own[labelled], n_rows, IMAGES_PER_IDENTITY)]
    predicted = model.log_proba(session.images[chosen]).argmax(1) if len(chosen) else np.zeros(0, np.int64)
    return count_table(own[chosen], predicted, n_rows, n_cols)
