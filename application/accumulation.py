"""The accumulation protocol: grow a labelled set from one global fragment to the whole video.

The first global fragment's N fragments are N different animals, which labels them for free. A
classifier trained on them scores every other fragment; global fragments whose fragments it
places one-to-one and with certainty join the training set, and the classifier is refined.
What is left at the end is assigned fragment by fragment, surest first.
"""

from __future__ import annotations

import time

import attrs
import numpy as np
from idtracker.domain.coexistence import Coexistence
from idtracker.domain.fragments import Fragments
from idtracker.domain.global_fragments import GlobalFragment, first_global_fragment, is_accumulable
from idtracker.domain.identity_assignment import (
    accept_global_fragment,
    assign_residual,
    fragment_evidence,
    identity_probability,
)

from . import events as ev
from .ports import EventSink, IdentityClassifier

#: Log-likelihood margin (best vs runner-up identity) for a fragment to be accepted for training.
ACCEPT_MARGIN = 3.0
MAX_STEPS = 20


@attrs.frozen
class Identification:
    """The outcome: a label per fragment and how sure it is.

    Attributes:
        labels: (F,) int64 0-based identity per fragment, -1 for none (crossings, unassignable).
        fragment_probability: (F,) posterior of each fragment's label.
        image_log_proba: (n_images, N) log-probabilities of the individual images.
        evidence: (F, N) summed image log-probabilities of each fragment.
        ratio_accumulated: fraction of accumulable images that ended in the training set.
    """

    labels: np.ndarray
    fragment_probability: np.ndarray
    image_log_proba: np.ndarray
    evidence: np.ndarray
    ratio_accumulated: float


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
                 initial_labels: np.ndarray | None = None) -> Identification:
        """Identify every individual fragment.

        Args:
            images: uint8 (n_images, S, S) identification images of the individual blobs.
            image_fragment: (n_images,) fragment of each image.
            fragments: all fragments of the session.
            global_fragments: the session's global fragments (at least one accumulable).
            number_of_animals: N.
            initial_labels: (F,) 0-based labels to start from (e.g. the contrastive step's sure
                fragments, consistent with the first global fragment), -1 elsewhere; None starts
                from the first global fragment alone.
        """
        rng = np.random.default_rng(self.seed)
        individual = np.flatnonzero(fragments.is_individual)
        coexistence = Coexistence.of(fragments.start, fragments.stop, individual)
        accumulable = [g for g in global_fragments if is_accumulable(g, fragments)]
        first = first_global_fragment(accumulable, fragments)
        labels = np.full(len(fragments), -1, np.int64)
        if initial_labels is None:
            labels[first.fragments] = np.arange(number_of_animals)
        else:
            labels[:] = initial_labels
        accumulable_fragments = np.unique(np.concatenate([g.fragments for g in accumulable]))
        order = sorted(accumulable, key=lambda g: abs(g.start - first.start))
        evidence = np.zeros((len(fragments), number_of_animals))
        log_proba = np.zeros((len(images), number_of_animals))
        ratio = 0.0
        for step in range(MAX_STEPS):
            t0 = time.perf_counter()
            train = self._training_set(labels, image_fragment, rng)
            report = self.classifier.fit(images[train], labels[image_fragment[train]])
            log_proba = self.classifier.log_proba(images)
            evidence = fragment_evidence(log_proba, image_fragment, len(fragments))
            new = 0
            for gf in order:
                proposal = accept_global_fragment(gf, labels, evidence, coexistence, ACCEPT_MARGIN)
                for f, identity in proposal.items():
                    labels[f] = identity
                new += bool(proposal)
            n_images = fragments.n_images[accumulable_fragments]
            ratio = float(n_images[labels[accumulable_fragments] >= 0].sum() / n_images.sum())
            self.events.publish(ev.AccumulationStepFinished(
                step, len(train), new, int((labels >= 0).sum()), ratio, float(report.get("validation_accuracy", np.nan)),
                time.perf_counter() - t0))
            if new == 0 or ratio >= self.early_stop_ratio:
                break
        t0 = time.perf_counter()
        final = assign_residual(labels, evidence, individual, coexistence)
        self.events.publish(ev.ResidualFragmentsAssigned(int((labels[individual] < 0).sum()),
                                                         int((final[individual] < 0).sum()), time.perf_counter() - t0))
        probability = np.zeros(len(fragments))
        probability[individual] = identity_probability(final, evidence, individual)
        return Identification(final, probability, log_proba, evidence, ratio)

    def _training_set(self, labels: np.ndarray, image_fragment: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Indices of labelled images, at most ``max_images_per_animal`` per identity."""
        image_label = labels[image_fragment]
        chosen = []
        for identity in np.unique(image_label[image_label >= 0]):
            idx = np.flatnonzero(image_label == identity)
            if len(idx) > self.max_images_per_animal:
                idx = rng.choice(idx, self.max_images_per_animal, replace=False)
            chosen.append(idx)
        return np.sort(np.concatenate(chosen))
