"""The identification stage of a session: images, then identities for every individual fragment."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import attrs
import numpy as np
from idtracker.domain.coexistence import Coexistence
from idtracker.domain.crossing_groups import CrossingGroup, crossing_groups
from idtracker.domain.fragments import Fragments
from idtracker.domain.global_fragments import (
    MIN_IMAGES_TO_ACCUMULATE,
    GlobalFragment,
    build_global_fragments,
    first_global_fragment,
    fragment_connectivity,
    is_accumulable,
    reachable_ratio,
    widest_partial_global_fragment,
)
from idtracker.domain.id_image_geometry import id_image_geometry
from idtracker.domain.identity_assignment import assign_residual, identity_probability
from idtracker.domain.impossible_jumps import correct_impossible_jumps, speed_limit

from . import events as ev
from .accumulation import Accumulation, Identification, WarmStart
from .contrastive_step import ContrastiveResult, ContrastiveStep, Judgement
from .errors import UserError
from .knowledge_transfer import TransferOutcome, transfer_identities
from .motion_fusion import fuse_motion_and_appearance, motion_ways, unit_labels
from .motion_joins import JoinedFragments
from .ports import (
    ContrastiveEncoder,
    EmbeddingClustering,
    EventSink,
    IdentificationImages,
    IdentityClassifier,
    TransferModel,
)
from .segmentation import SegmentedVideo
from .session_setup import package_version
from .settings import Settings

#: Below this estimated accuracy the session warns and says what to try.
WARN_BELOW_ESTIMATED_ACCURACY = 0.99
#: Estimated accuracy a contrastive result must promise to be final (below it the accumulation
#: protocol identifies): the warning's bar, since a result we would warn about is not one to stop
#: at. On the bench the accepted contrastive results estimated 0.991-1.000 and were right on
#: 99.8-100 % of images; the rejected ones estimated 0.26-0.97 (those measured: 55-100 % right).
CONTRASTIVE_MIN_ESTIMATED_ACCURACY = WARN_BELOW_ESTIMATED_ACCURACY
#: Fragment connectivity below which idtracker.ai warns (its documented threshold).
LOW_CONNECTIVITY = 0.5


@attrs.frozen
class IdentityResult:
    """Per-blob identities (1-based, 0 = none) and what the output files report about them."""

    identities: np.ndarray
    probabilities: np.ndarray | None
    number_of_identities: int
    estimated_accuracy: float | None
    image_size: int | None
    resolution_reduction: float | None
    ratio_accumulated: float | None
    method: str
    velocity_threshold: float | None = None
    silhouette_score: float | None = None
    fragment_connectivity: float | None = None
    transfer: TransferOutcome | None = None


class ContrastiveMemory(Protocol):
    """Where a contrastive step that the accumulation protocol continues from is kept (a session
    checkpoint), so an interrupted identification does not train the encoder again."""

    def recall(self) -> ContrastiveResult | None: ...

    def keep(self, result: ContrastiveResult) -> None: ...


@attrs.define
class IdentificationStage:
    """Builds identification images, runs the contrastive step and, if it identifies too little, accumulation."""

    id_images: IdentificationImages
    make_classifier: Callable[[int, int, Settings], IdentityClassifier]
    make_encoder: Callable[[Settings], ContrastiveEncoder]
    clustering: EmbeddingClustering
    events: EventSink

    def __call__(self, settings: Settings, segmented: SegmentedVideo, fragments: Fragments,
                 global_fragments: list[GlobalFragment], body_length: float, workers: int,
                 session_folder: Path, images: np.ndarray | None = None,
                 joined: JoinedFragments | None = None, transfer: TransferModel | None = None,
                 memory: ContrastiveMemory | None = None) -> IdentityResult:
        """Identities of every blob; ``images`` are reused when an earlier stage already built them.

        The contrastive step learns from and is judged on ``fragments`` (as segmented). With
        ``joined`` (tracklets of these fragments, joined by motion), accumulation and everything
        after decide on its tracklets, its crossings are conserved, and motion and appearance are
        fused at the end; without, on the fragments and the crossings found from the links. With
        ``transfer`` (a previous session's model), training starts from its weights where the
        network is the same, and the identities take its names when they match by majority. A
        contrastive step found in ``memory`` was rejected before: accumulation starts at once."""
        n = settings.number_of_animals
        connectivity = fragment_connectivity(fragments, n)
        global_fragments = self._global_fragments_or_partial(global_fragments, fragments, n, connectivity)
        t0 = time.perf_counter()
        size, scale = id_image_geometry(body_length, settings.id_image_size, settings.resolution_reduction)
        if images is None:
            images = self.id_images.build(segmented, size, scale, workers, session_folder / "identification_images")
            self.events.publish(ev.IdentificationImagesBuilt(len(images), size, scale, time.perf_counter() - t0))

        blob_individual = fragments.is_individual[fragments.of_blob]
        blobs = np.flatnonzero(blob_individual)
        params = {"n_classes": n, "image_size": [size, size, 1], "resolution_reduction": scale, "version": package_version()}
        contrastive, method = None, "accumulation"
        crossings = crossing_groups(fragments, segmented.links, n) if joined is None else joined.groups
        reachable = reachable_ratio(global_fragments, fragments)
        recalled = None if memory is None or settings.disable_contrastive else memory.recall()
        verdicts = _ContrastiveVerdicts(fragments, crossings, settings.contrastive_min_accumulation)
        few_global_fragments = reachable < settings.contrastive_min_accumulation
        if recalled is not None:
            contrastive = recalled
        elif not settings.disable_contrastive:
            if few_global_fragments:
                self.events.publish(ev.FewGlobalFragments(reachable, settings.contrastive_min_accumulation))
            encoder = self.make_encoder(settings)
            self._warm_start(encoder, "contrastive encoder", transfer)
            if encoder.batch_pairs != settings.contrastive_batchsize:
                self.events.publish(ev.ContrastiveBatchReduced(settings.contrastive_batchsize, encoder.batch_pairs,
                                                               encoder.device_name))
            step = ContrastiveStep(encoder, self.clustering, self.events, settings.contrastive_silhouette_target,
                                   settings.contrastive_patience, settings.random_seed)
            contrastive = step(images[blobs], fragments.of_blob[blobs], fragments, global_fragments, n,
                               verdicts.min_ratio, accept=verdicts)
        result = None
        if contrastive is not None and recalled is None:
            result = self._judge_contrastive(contrastive, verdicts)
        units, unit_gfs = fragments, global_fragments
        if joined is not None:
            units, crossings = joined.fragments, joined.crossings
            unit_gfs = self._global_fragments_or_partial(
                build_global_fragments(segmented.blobs.frame, units, int(segmented.blobs.frame.max()) + 1, n),
                units, n, connectivity, warn=False)
        if result is not None:
            method = "contrastive"
            def save_model(extra: dict) -> None:
                encoder.save(session_folder / "accumulation", contrastive.centres, {**params, **extra})
            if joined is not None:  # the clusters were named after the first global fragment's fragments
                named = _first_global_fragment(global_fragments, fragments).fragments
                result = _on_tracklets(result, joined, named)
                protected = named
        else:
            if contrastive is not None and recalled is None:
                encoder.save_checkpoint(session_folder / "accumulation")
                if memory is not None:
                    memory.keep(contrastive)
            classifier = self.make_classifier(size, n, settings)
            self._warm_start(classifier, "identity CNN", transfer)
            accumulation = Accumulation(classifier, self.events, settings.threshold_early_stop_accumulation,
                                        settings.maximal_images_per_animal, settings.random_seed)
            warm = None
            if contrastive is not None and few_global_fragments:
                warm = _contrastive_warm_start(contrastive, len(units.start),
                                               np.arange(len(fragments.start)) if joined is None else joined.tracklet,
                                               units.of_blob[blobs])
            result = accumulation(images[blobs], units.of_blob[blobs], units, unit_gfs, n, crossings=crossings,
                                  motion_ways=() if joined is None else motion_ways(joined), warm_start=warm)
            def save_model(extra: dict) -> None:
                classifier.save(session_folder / "accumulation", {**params, **extra})
            if joined is not None:  # accumulation's given labels
                protected = _fragments_at(_first_global_fragment(unit_gfs, units), joined)
        if joined is not None:
            result, joined = fuse_motion_and_appearance(result, joined, fragments.of_blob[blobs], protected, self.events)
            units = joined.fragments

        t0 = time.perf_counter()
        limit = speed_limit(fragments, segmented.blobs.centroid)
        coexistence = (Coexistence.of(units.start, units.stop, np.flatnonzero(units.is_individual)) if joined is None
                       else joined.coexistence())
        corrected, changed = correct_impossible_jumps(result.labels, result.fragment_probability, result.evidence,
                                                      units, segmented.blobs.centroid, coexistence, limit)
        self.events.publish(ev.ImpossibleJumpsCorrected(changed, limit, time.perf_counter() - t0))

        labels = corrected[units.of_blob]
        identities = np.where(blob_individual & (labels >= 0), labels + 1, 0).astype(np.int64)
        probabilities = np.full(len(identities), np.nan)
        labelled = labels[blobs] >= 0
        unit_probability = _unit_probability(corrected, result)
        probabilities[blobs[labelled]] = unit_probability[units.of_blob[blobs][labelled]]
        estimated = _estimated_accuracy(units, result.fragment_probability)
        if estimated < WARN_BELOW_ESTIMATED_ACCURACY:
            self.events.publish(ev.LowEstimatedAccuracy(estimated, method, _advice(size)))
        outcome = None
        if transfer is not None:
            identities, outcome = transfer_identities(identities, images, blobs, n, transfer, self.events)
        # The model's classes are the identities before a transfer renamed them: say which is which.
        save_model({} if outcome is None or outcome.class_identities is None
                   else {"class_identities": list(outcome.class_identities)})
        return IdentityResult(identities, probabilities, n, estimated, size, scale, result.ratio_accumulated, method, limit,
                              None if contrastive is None else contrastive.silhouette_score, connectivity, outcome)

    def _warm_start(self, network: ContrastiveEncoder | IdentityClassifier, name: str,
                    transfer: TransferModel | None) -> None:
        """Start ``network`` from the transferred weights when they fit it, and say so."""
        if transfer is not None and network.warm_start(transfer):
            self.events.publish(ev.ModelWarmStarted(name, str(transfer.source)))

    def _global_fragments_or_partial(self, global_fragments: list[GlobalFragment], fragments: Fragments, n: int,
                                     connectivity: float, warn: bool = True) -> list[GlobalFragment]:
        """The global fragments to learn from; where none is accumulable, the frame with the most
        animals apart stands in as a partial one (with a warning), and only fewer than two animals
        ever apart make identities impossible. ``warn`` False: the events were already published
        for the same animals (tracklets of the fragments already judged)."""
        if warn and connectivity < LOW_CONNECTIVITY:
            self.events.publish(ev.WarningRaised(
                f"fragment connectivity {connectivity:.2f} is low (below {LOW_CONNECTIVITY}): animals are rarely "
                "seen apart at the same time, so identities are learnt from little; check the segmentation"))
        if any(is_accumulable(g, fragments) for g in global_fragments):
            return global_fragments
        partial = widest_partial_global_fragment(fragments)
        if partial is None or len(partial.fragments) < 2:
            raise UserError(f"number_of_animals: never two of the {n} animals are seen apart for "
                            f"{MIN_IMAGES_TO_ACCUMULATE} frames or more, so identities cannot be learnt; check "
                            "number_of_animals and the segmentation thresholds (intensity_ths, area_ths)")
        if warn:
            self.events.publish(ev.NoGlobalFragment(n, len(partial.fragments), partial.start, connectivity))
        return [partial]

    def _judge_contrastive(self, contrastive: ContrastiveResult, verdicts: _ContrastiveVerdicts) -> Identification | None:
        """The contrastive identities when they are final; None, with the reason in an event, otherwise."""
        finished, judgement = verdicts.of(contrastive)
        if judgement.final:
            return finished
        self.events.publish(ev.ContrastiveRejected(contrastive.ratio_accumulated, verdicts.min_ratio,
                                                   judgement.estimated_accuracy, CONTRASTIVE_MIN_ESTIMATED_ACCURACY))
        return None


@attrs.define
class _ContrastiveVerdicts:
    """Whether contrastive results are final: sure labels on ``min_ratio`` of the images (the seed's
    contrastive_min_accumulation) and, finished by the residual assignment, an estimated accuracy
    of ``CONTRASTIVE_MIN_ESTIMATED_ACCURACY``. Asked during training and again for the result
    training ends with, which is then the one judged last: its verdict is kept, not worked out again."""

    fragments: Fragments
    crossings: Sequence[CrossingGroup]
    min_ratio: float
    _last: tuple[ContrastiveResult, Identification, Judgement] | None = None

    def __call__(self, contrastive: ContrastiveResult) -> Judgement:
        return self.of(contrastive)[1]

    def of(self, contrastive: ContrastiveResult) -> tuple[Identification, Judgement]:
        """(the finished identities, the verdict) of ``contrastive``."""
        if self._last is None or self._last[0] is not contrastive:
            finished = _finish(contrastive, self.fragments, self.crossings)
            estimated = _estimated_accuracy(self.fragments, finished.fragment_probability)
            final = contrastive.ratio_accumulated >= self.min_ratio and estimated >= CONTRASTIVE_MIN_ESTIMATED_ACCURACY
            self._last = (contrastive, finished, Judgement(final, estimated))
        return self._last[1], self._last[2]


def _on_tracklets(result: Identification, joined: JoinedFragments, protected: np.ndarray) -> Identification:
    """A result on the segmented fragments carried to their tracklets: evidence summed, the label
    the members agree on (a protected member's first), probabilities from the summed evidence."""
    tracklets = joined.fragments
    evidence, held_out = (np.zeros((len(tracklets), result.evidence.shape[1])) for _ in range(2))
    np.add.at(evidence, joined.tracklet, result.evidence)
    np.add.at(held_out, joined.tracklet, result.held_out_evidence)
    labels = unit_labels(result.labels, joined.tracklet, len(tracklets), protected)
    individual = np.flatnonzero(tracklets.is_individual)
    probability = np.zeros(len(tracklets))
    probability[individual] = identity_probability(labels, held_out, individual)
    return Identification(labels, probability, result.image_log_proba, evidence, held_out, result.ratio_accumulated)


def _contrastive_warm_start(contrastive: ContrastiveResult, units: int, unit_of_fragment: np.ndarray,
                            image_unit: np.ndarray) -> WarmStart:
    """The evidence and image votes of a contrastive step that was not final, for accumulation to
    start from, on the units it identifies (``unit_of_fragment``: each segmented fragment's;
    ``image_unit``: each image's). Only where the global fragments are too few for a final result:
    there accumulation would start from one short global fragment (the crowded tank: 391 images of
    4,727 for 20 animals), while where they are many its own acceptance grows the labels, and a warm
    start only carried the contrastive step's mistakes (a swap of two look-alikes on 20_subtle,
    0.969 against 1.0000 without)."""
    n = contrastive.evidence.shape[1]
    evidence, votes = np.zeros((units, n)), np.zeros((units, n))
    np.add.at(evidence, unit_of_fragment, contrastive.evidence)
    np.add.at(votes, (image_unit, contrastive.image_log_proba.argmax(1)), 1)
    return WarmStart(evidence, votes)


def _unit_probability(labels: np.ndarray, result: Identification) -> np.ndarray:
    """Posterior of each unit's final label, the blobs' id_probabilities: the identification's own
    (appearance and motion fused) where the label stands, from the unit's images where the
    impossible-jump correction moved it. A single image's model probability is not used: on test_A a
    third of the images of identities that are right give their identity less than 0.5."""
    probability = np.where(labels == result.labels, result.fragment_probability, 0.0)
    moved = np.flatnonzero((labels != result.labels) & (labels >= 0))
    probability[moved] = identity_probability(labels, result.held_out_evidence, moved)
    return probability


def _first_global_fragment(global_fragments: list[GlobalFragment], fragments: Fragments) -> GlobalFragment:
    """The global fragment whose labels identification was given, not inferred."""
    accumulable = [g for g in global_fragments if is_accumulable(g, fragments)]
    return first_global_fragment(accumulable, fragments) if accumulable else global_fragments[0]


def _fragments_at(global_fragment: GlobalFragment, joined: JoinedFragments) -> np.ndarray:
    """The fragments (as segmented) that a global fragment of tracklets is made of on its first frame."""
    members = np.flatnonzero(np.isin(joined.tracklet, global_fragment.fragments))
    original = joined.original
    alive = (original.start[members] <= global_fragment.start) & (original.stop[members] > global_fragment.start)
    return members[alive]


def _advice(image_size: int) -> str:
    """What to try when identities are doubtful, most useful first."""
    return ("check the segmentation (intensity_ths, area_ths, roi_list): every animal one blob, apart from "
            "crossings; track more frames (animals seen apart for longer are learnt better); for animals that look "
            f"alike, record them larger in the frame or try a larger id_image_size (now {image_size}); "
            "check the identities with idtrackerai_validate")


def _estimated_accuracy(fragments: Fragments, probability: np.ndarray) -> float:
    """Image-weighted mean posterior of the individual fragments' identities."""
    weights = fragments.n_images * fragments.is_individual
    return float((probability * weights).sum() / max(weights.sum(), 1))


def _finish(contrastive: ContrastiveResult, fragments: Fragments, crossings: Sequence[CrossingGroup]) -> Identification:
    """The contrastive labels completed by the residual assignment (identities conserved through
    ``crossings``), as accumulation would finish."""
    individual = np.flatnonzero(fragments.is_individual)
    coexistence = Coexistence.of(fragments.start, fragments.stop, individual)
    labels = assign_residual(contrastive.labels, contrastive.evidence, individual, coexistence, crossings)
    probability = np.zeros(len(fragments))
    probability[individual] = identity_probability(labels, contrastive.evidence, individual)
    return Identification(labels, probability, contrastive.image_log_proba, contrastive.evidence,
                          contrastive.evidence, contrastive.ratio_accumulated)  # pairs teach no labels
