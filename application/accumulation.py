"""The accumulation protocol: grow a labelled set from one global fragment to the whole video.

The first global fragment's N fragments are N different animals, which labels them for free. A
classifier trained on them scores every other fragment; global fragments whose fragments it
places one-to-one and with certainty join the training set, then single fragments whose
identity is certain, consistent and unique (with many animals a global fragment is rarely sure
as a whole), and the classifier is refined on the grown set. What is left at the end is
assigned fragment by fragment, surest first.

When accumulation stalls with many long fragments unlabelled (with 100 animals, those of the
animals first seen in a short fragment), pooling rounds follow: labels the classifier now rejects
are dropped, the unlabelled fragments join the identity they resemble in the classifier's feature
space (``domain.fragment_pooling``), and the classifier learns from the grown set, unless what
it then shows on held-out images says appearance cannot tell these animals apart: the pool is
undone, since the classifier would only confirm the guesses it was taught (look-alikes).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import attrs
import numpy as np
from idtracker.domain.coexistence import Coexistence
from idtracker.domain.crossing_groups import CrossingGroup, conserved_identities, crossing_violations
from idtracker.domain.fragment_pooling import MIN_POOLING_INFORMATION, identity_information, pool_fragments
from idtracker.domain.fragments import Fragments
from idtracker.domain.motion_fusion import image_correlation_time, motion_forced_identities
from idtracker.domain.global_fragments import (
    MIN_IMAGES_TO_ACCUMULATE,
    GlobalFragment,
    first_global_fragment,
    is_accumulable,
    long_fragments,
)
from idtracker.domain.identity_assignment import (
    accept_global_fragment,
    assign_residual,
    certain_unique_fragments,
    contradicted_labels,
    fragment_evidence,
    given_exclusions,
    identity_probability,
    image_votes,
    reclaim_identities,
    rejected_identities,
    renaming_after,
)

from . import events as ev
from .ports import EventSink, IdentityClassifier

#: Log-likelihood margin (best vs runner-up identity) for a global fragment's fragment to be accepted
#: for training, in independent looks (evidence divided by the image autocorrelation time).
ACCEPT_MARGIN = 3.0
MAX_STEPS = 20
#: Images one training step sees at most: the network keeps its weights between steps, so each
#: step refines on a fresh sample instead of re-reading everything (CPU time grows with N otherwise).
STEP_IMAGES = 24000
#: Accumulation stops when a step adds fewer images than this fraction of the long fragments'.
MIN_GAIN = 0.005
#: Pooling rounds after a stall, and the unlabelled share of the long fragments' images that calls
#: for them (below it the residual assignment alone is as good: measured at 50 animals, 0.2 % left).
POOLING_ROUNDS = 2
POOLING_MIN_UNLABELLED = 0.01


@attrs.frozen
class Identification:
    """The outcome: a label per fragment and how sure it is.

    Attributes:
        labels: (F,) int64 0-based identity per fragment, -1 for none (crossings, unassignable).
        fragment_probability: (F,) posterior of each fragment's label.
        image_log_proba: (n_images, N) log-probabilities of the individual images.
        evidence: (F, N) summed image log-probabilities of each fragment.
        held_out_evidence: (F, N) the evidence each fragment's label is judged by, for the
            probabilities: where the classifier was taught the label, what it said before it was
            taught it (afterwards its images only confirm what they were trained on: on the crowded
            tank, pooled labels 46 % right scored 0.89 by the final classifier, 0.11 before);
            ``evidence`` elsewhere.
        ratio_accumulated: fraction of the long individual fragments' images (4 or more) that ended in the
            training set (with many animals few frames show all of them apart, so global fragments
            alone would make a poor denominator).
    """

    labels: np.ndarray
    fragment_probability: np.ndarray
    image_log_proba: np.ndarray
    evidence: np.ndarray
    held_out_evidence: np.ndarray
    ratio_accumulated: float


@attrs.frozen
class WarmStart:
    """What a contrastive step that was not final saw, for accumulation to start from.

    Attributes:
        evidence: (F, N) its evidence per fragment, in its own naming of the identities.
        votes: (F, N) its image votes per fragment (``image_votes``).
    """

    evidence: np.ndarray
    votes: np.ndarray


def _newly_labelled(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Fragments whose label went from ``before`` to a new identity in ``after``."""
    return np.flatnonzero((after >= 0) & (after != before))


@attrs.define
class _HeldOut:
    """Per fragment, the label it was taught (-1: none) and the evidence it had before."""

    taught: np.ndarray
    evidence: np.ndarray

    @classmethod
    def empty(cls, fragments: int, identities: int) -> _HeldOut:
        return cls(np.full(fragments, -1, np.int64), np.zeros((fragments, identities)))

    def remember(self, before: np.ndarray, after: np.ndarray, evidence: np.ndarray) -> None:
        """Fragments whose label went from ``before`` to a new one in ``after``: keep the
        label and ``evidence`` (the classifier's, before it trains on the new labels)."""
        changed = _newly_labelled(before, after)
        self.taught[changed] = after[changed]
        self.evidence[changed] = evidence[changed]

    def judged_by(self, labels: np.ndarray, evidence: np.ndarray) -> np.ndarray:
        """(F, N) the held-out evidence where a fragment ends with the label it was taught, else ``evidence``."""
        kept = (labels >= 0) & (labels == self.taught)
        return np.where(kept[:, None], self.evidence, evidence)


@attrs.define
class Accumulation:
    """Runs the protocol with an injected classifier and event sink."""

    classifier: IdentityClassifier
    events: EventSink
    early_stop_ratio: float = 0.999
    max_images_per_animal: int = 3000
    seed: int = 0

    def __call__(self, images: np.ndarray, image_fragment: np.ndarray, fragments: Fragments,
                 global_fragments: list[GlobalFragment], number_of_animals: int,
                 crossings: Sequence[CrossingGroup] = (),
                 motion_ways: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]] = (),
                 warm_start: WarmStart | None = None) -> Identification:
        """Identify every individual fragment.

        Args:
            images: uint8 (n_images, S, S) identification images of the individual blobs.
            image_fragment: (n_images,) fragment of each image.
            fragments: all fragments of the session.
            global_fragments: the session's global fragments (at least one accumulable).
            number_of_animals: N.
            crossings: groups through which identities are conserved; after each step, the
                labels they force are accepted too.
            motion_ways: crossings motion could not join for sure, with its posteriors
                (``motion_forced_identities``): the labels it passes on are accepted too.
            warm_start: labels of a contrastive step that was not final, to start from besides
                the first global fragment's (``WarmStart``).
        """
        rng = np.random.default_rng(self.seed)
        if STEP_IMAGES // number_of_animals < self.max_images_per_animal:
            self.events.publish(ev.TrainingImagesCapped(self.max_images_per_animal, STEP_IMAGES // number_of_animals,
                                                        STEP_IMAGES))
        individual = np.flatnonzero(fragments.is_individual)
        coexistence = Coexistence.of(fragments.start, fragments.stop, individual)
        accumulable = [g for g in global_fragments if is_accumulable(g, fragments)]
        first = first_global_fragment(accumulable, fragments)
        labels = np.full(len(fragments), -1, np.int64)
        labels[first.fragments] = np.arange(len(first.fragments))
        if warm_start is not None:
            labels = self._warm_started(labels, warm_start, first, coexistence, long_fragments(fragments),
                                        fragments.n_images)
        long = long_fragments(fragments)
        order = sorted(accumulable, key=lambda g: abs(g.start - first.start))
        long_images = fragments.n_images[long].sum()
        held = _HeldOut.empty(len(fragments), number_of_animals)
        ratio = 0.0
        for step in range(MAX_STEPS):
            t0 = time.perf_counter()
            train = self._training_set(labels, image_fragment, rng)
            report = self.classifier.fit(images[train], labels[image_fragment[train]])
            if (labels[long] >= 0).all():
                break
            before, previous = fragments.n_images[long][labels[long] >= 0].sum(), labels.copy()
            candidates = long[labels[long] < 0]
            evidence, votes, looks = self._score(images, image_fragment, candidates, len(fragments))
            new_global = 0
            for gf in order:
                proposal = accept_global_fragment(gf, labels, evidence / looks, coexistence, ACCEPT_MARGIN)
                for f, identity in proposal.items():
                    labels[f] = identity
                new_global += bool(proposal)
            single = certain_unique_fragments(evidence, votes, labels, long[labels[long] < 0], coexistence,
                                              MIN_IMAGES_TO_ACCUMULATE)
            labels[list(single)] = list(single.values())
            rejected = rejected_identities(evidence, votes.sum(1))
            forced = conserved_identities(list(crossings), labels, coexistence, rejected)
            labels[list(forced)] = list(forced.values())
            moved = motion_forced_identities(motion_ways, labels, coexistence, rejected)
            labels[list(moved)] = list(moved.values())
            forced.update(moved)
            held.remember(previous, labels, self._with_unscored(evidence, previous, labels, candidates, images,
                                                                 image_fragment))
            labelled = fragments.n_images[long][labels[long] >= 0].sum()
            ratio, gained = float(labelled / long_images), labelled - before
            self.events.publish(ev.AccumulationStepFinished(
                step, len(train), int(report.get("epochs", 0)), new_global, len(single), len(forced),
                int((labels >= 0).sum()),
                ratio, float(report.get("validation_accuracy", np.nan)), time.perf_counter() - t0))
            if gained < MIN_GAIN * long_images or ratio >= self.early_stop_ratio:
                break
        pooling = fragments.n_images[long][labels[long] < 0].sum() >= POOLING_MIN_UNLABELLED * long_images
        for pooling_round in range(POOLING_ROUNDS if pooling else 0):
            pooled = self._pool(pooling_round, images, image_fragment, fragments.n_images, labels, first, long,
                                coexistence, crossings, rng)
            if pooled is None:
                break
            pooled, before_pooling = pooled
            held.remember(labels, pooled, before_pooling)
            labels = pooled
        log_proba = self.classifier.log_proba(images)
        evidence = fragment_evidence(log_proba, image_fragment, len(fragments))
        if pooling:
            labels[contradicted_labels(labels, evidence, fragments.n_images, first.fragments)] = -1
        t0 = time.perf_counter()
        violations = _unprotected(crossing_violations(crossings, labels), first)
        labels[violations] = -1
        residual = assign_residual(labels, evidence, individual, coexistence, crossings)
        reclaimed = reclaim_identities(residual, evidence, individual, fragments.n_images, coexistence, first.fragments)
        final = assign_residual(reclaimed, evidence, individual, coexistence, crossings)
        self.events.publish(ev.ResidualFragmentsAssigned(
            int((labels[individual] < 0).sum()), int((final[individual] < 0).sum()), len(violations),
            int(((residual < 0) & (reclaimed >= 0)).sum()), time.perf_counter() - t0))
        held_out = held.judged_by(final, evidence)
        probability = np.zeros(len(fragments))
        given = first.fragments[final[first.fragments] == np.arange(len(first.fragments))]
        impossible = given_exclusions(final, individual, given, coexistence, number_of_animals)
        probability[individual] = identity_probability(final, held_out, individual, impossible)
        probability[given] = 1.0  # the first global fragment's labels name the identities: given, not inferred
        return Identification(final, probability, log_proba, evidence, held_out, ratio)

    def _warm_started(self, labels: np.ndarray, warm: WarmStart, first: GlobalFragment, coexistence: Coexistence,
                      long: np.ndarray, n_images: np.ndarray) -> np.ndarray:
        """``labels`` (the first global fragment's) with the long fragments the warm start's
        evidence, named after the first global fragment, makes certain, consistent and unique
        (``certain_unique_fragments``, the rule later steps accept single fragments by)."""
        rename = renaming_after(first.fragments, warm.evidence)
        evidence, votes = np.empty_like(warm.evidence), np.empty_like(warm.votes)
        evidence[:, rename], votes[:, rename] = warm.evidence, warm.votes
        accepted = certain_unique_fragments(evidence, votes, labels, long[labels[long] < 0], coexistence,
                                            MIN_IMAGES_TO_ACCUMULATE)
        out = labels.copy()
        out[list(accepted)] = list(accepted.values())
        self.events.publish(ev.AccumulationWarmStarted(len(accepted), int(n_images[list(accepted)].sum())))
        return out

    def _pool(self, pooling_round: int, images: np.ndarray, image_fragment: np.ndarray, n_images: np.ndarray,
              labels: np.ndarray, first: GlobalFragment, long: np.ndarray, coexistence: Coexistence,
              crossings: Sequence[CrossingGroup],
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray] | None:
        """One pooling round: drop the labels the classifier rejects, pool the unlabelled long
        fragments with the identities they resemble (a pooled label that breaks a crossing's
        conservation is not kept), train on the result; returns the labels and the evidence the
        classifier gave before it learnt them, or None where the
        classifier trained on them shows too little information (``MIN_POOLING_INFORMATION``) for
        them to be more than guesses: the classifier then goes back to what it was, and the labels
        it had stand."""
        t0 = time.perf_counter()
        before = self.classifier.weights()
        log_proba, features = self.classifier.log_proba_and_features(images)
        evidence = fragment_evidence(log_proba, image_fragment, len(labels))
        labels = labels.copy()
        dropped = contradicted_labels(labels, evidence, n_images, first.fragments)
        labels[dropped] = -1
        candidates = long[labels[long] < 0]
        unit = features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
        descriptors = np.zeros((len(labels), features.shape[1]))
        np.add.at(descriptors, image_fragment, unit)
        pooled = pool_fragments(labels, descriptors, candidates, coexistence, evidence.shape[1])
        breaking = crossing_violations(crossings, pooled)
        pooled[breaking[labels[breaking] < 0]] = -1
        joined = candidates[pooled[candidates] >= 0]
        train = self._training_set(pooled, image_fragment, rng)
        report = self.classifier.fit(images[train], pooled[image_fragment[train]])
        accuracy = float(report.get("validation_accuracy", np.nan))
        information = identity_information(accuracy, evidence.shape[1])
        kept = not np.isfinite(accuracy) or information >= MIN_POOLING_INFORMATION  # unmeasured: as before
        if not kept:
            self.classifier.restore(before)
        self.events.publish(ev.FragmentsPooled(pooling_round, len(dropped), len(joined), int(n_images[joined].sum()),
                                               int(report.get("epochs", 0)), time.perf_counter() - t0, accuracy,
                                               information, kept))
        return (pooled, evidence) if kept else None

    def _score(self, images: np.ndarray, image_fragment: np.ndarray, candidates: np.ndarray,
               number_of_fragments: int) -> tuple[np.ndarray, np.ndarray, float]:
        """(F, N) evidence and image votes of the candidate fragments (zero elsewhere), and how
        many of their consecutive images make one independent look (``image_correlation_time``):
        labelled fragments keep their labels, so only the others are scored again."""
        rows = np.flatnonzero(np.isin(image_fragment, candidates))
        log_proba = self.classifier.log_proba(images[rows])
        looks = image_correlation_time(log_proba, image_fragment[rows]) if len(rows) else 1.0
        return (fragment_evidence(log_proba, image_fragment[rows], number_of_fragments),
                image_votes(log_proba, image_fragment[rows], number_of_fragments), looks)

    def _with_unscored(self, evidence: np.ndarray, before: np.ndarray, after: np.ndarray, scored: np.ndarray,
                       images: np.ndarray, image_fragment: np.ndarray) -> np.ndarray:
        """``evidence`` completed with the current classifier's for the fragments newly labelled
        in ``after`` that it did not score (short ones labelled through crossings)."""
        changed = _newly_labelled(before, after)
        unscored = changed[~np.isin(changed, scored)]
        if not len(unscored):
            return evidence
        rows = np.flatnonzero(np.isin(image_fragment, unscored))
        scored_now = fragment_evidence(self.classifier.log_proba(images[rows]), image_fragment[rows], len(evidence))
        evidence = evidence.copy()
        evidence[unscored] = scored_now[unscored]
        return evidence

    def _training_set(self, labels: np.ndarray, image_fragment: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Indices of labelled images, a random sample of at most ``max_images_per_animal`` per
        identity and ``STEP_IMAGES`` in all."""
        image_label = labels[image_fragment]
        identities = np.unique(image_label[image_label >= 0])
        cap = min(self.max_images_per_animal, max(STEP_IMAGES // max(len(identities), 1), 1))
        chosen = []
        for identity in identities:
            idx = np.flatnonzero(image_label == identity)
            if len(idx) > cap:
                idx = rng.choice(idx, cap, replace=False)
            chosen.append(idx)
        return np.sort(np.concatenate(chosen))


def _unprotected(fragments: np.ndarray, first: GlobalFragment) -> np.ndarray:
    """``fragments`` without the first global fragment's, whose labels are given, not inferred."""
    return fragments[~np.isin(fragments, first.fragments)]
