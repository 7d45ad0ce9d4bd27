"""The contrastive step: identities from clusters of an embedding learnt without identity labels.

An encoder learns to embed images of one fragment together and images of coexisting fragments
apart. Every ``EVAL_EVERY`` batches a fixed sample is embedded and clustered (k-means started from
the first global fragment's fragments, so cluster k stays label k); training stops at the
silhouette target, after ``patience`` evaluations without improvement (best weights restored),
or as soon as the sure fragment labels (global fragments the clusters place one-to-one, with
margin) have covered enough images for ``STABLE_EVALUATIONS`` + 1 evaluations in a row (labels
that come and go mean clusters that have not settled) and the result on every image passes the
caller's ``accept`` (the identification stage's own judgement: sure labels and the estimated
accuracy a final result needs). A result it refuses does not end training while it gets closer to final: training
goes on and is judged again at the next evaluation where training has done at least as much work
as a judgement does (images through the network, a training image counting as three forward passes
for its backward one: on test_A a judgement costs a quarter of the 20 batches between evaluations,
measured 0.5 of 2.3 s, so every evaluation; with 100 animals embedding every image takes longer;
counted, not timed, so a run decides alike on every machine), until
``STABLE_EVALUATIONS`` judgements in a row have not raised the estimated accuracy (then the
accumulation protocol identifies: on the 14 small animals it went on for 740 batches, 79 s,
estimating 0.90 at the end) or the patience rules end it. Without that judgement,
sure labels that covered every image stopped training on the self-test video while two animals
still shared a cluster (estimated 0.80, then rejected and identified again by accumulation, 26 s
more); a few evaluations later the clusters estimated 1.00 and were right on every image. Waiting,
besides, for the sure labels to stop growing (as before the judgement) let test_A's training go
past states the judgement accepts: its sure fraction flickers between 0.95 and 1.00. Decisions are
made per fragment, and fragments settle long before the image-level silhouette does (measured on test_A: 99 % of images in correctly voted fragments at silhouette 0.34). Sure
labels that stop growing for ``RATIO_PATIENCE`` evaluations end training too, below the target: with
many animals the silhouette creeps up for thousands of batches while the labels accumulation
would start from no longer change.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import attrs
import numpy as np
from idtracker.domain.cluster_identities import centre_log_proba, match_clusters
from idtracker.domain.coexistence import Coexistence
from idtracker.domain.constrained_clustering import constrained_kmeans, fragment_means, seeded_centres
from idtracker.domain.contrastive_pairs import contrastive_pairs
from idtracker.domain.fragments import Fragments
from idtracker.domain.global_fragments import (
    MIN_IMAGES_TO_ACCUMULATE,
    GlobalFragment,
    first_global_fragment,
    is_accumulable,
    long_fragments,
    reachable_ratio,
)
from idtracker.domain.identity_assignment import (
    accept_global_fragment,
    certain_unique_fragments,
    fragment_evidence,
    image_votes,
)

from . import events as ev
from .accumulation import ACCEPT_MARGIN
from .ports import ContrastiveEncoder, EmbeddingClustering, EventSink

EVAL_EVERY = 20
SAMPLE_PER_ANIMAL = 300
#: Images a training batch passes through the encoder per positive pair (two of the pair, two of a
#: negative pair), and what one costs in forward passes (forward and backward).
IMAGES_PER_PAIR = 4
FORWARDS_PER_TRAINING_IMAGE = 3
STABLE_EVALUATIONS = 2
MIN_IMPROVEMENT = 1e-3
#: Growth of the sure fraction that counts as progress. The fraction counted is the lowest of the
#: last ``STABLE_EVALUATIONS`` + 1 evaluations: a global fragment accepted at one evaluation and
#: lost at the next is no progress. On the 8-animal look-alike case such flickers (0.25 -> 0.29 or
#: 0.37 for one evaluation, back the next) kept a hopeless step training for 560 batches (69 s)
#: where the held fraction never grew past the first global fragment's own.
MIN_RATIO_GAIN = 0.005
#: Evaluations without that growth after which training ends below ``min_ratio``: at 50 animals the
#: sure labels sat at the first global fragment's own share for all 30 evaluations of
#: ``contrastive_patience`` (150 s), while accumulation needs only the labels, not the silhouette.
RATIO_PATIENCE = 10


@attrs.frozen
class Judgement:
    """The caller's verdict on a contrastive result: final or not, and the accuracy it estimates."""

    final: bool
    estimated_accuracy: float


@attrs.frozen
class ContrastiveResult:
    """What the step learnt.

    Attributes:
        labels: (F,) 0-based labels of the fragments it is sure of (consistent global fragments), -1 elsewhere.
        evidence: (F, N) summed image log-probabilities per fragment.
        image_log_proba: (n_images, N) log-probabilities from the distances to the cluster centres.
        centres: (N, D) cluster centres, row k = label k.
        silhouette_score: silhouette of the kept model's clusters on the sample (as training clustered
            them: a result re-clustered by ``_kept_apart`` keeps training's figure).
        ratio_accumulated: fraction of accumulable images in sure fragments.
        batches: training batches run.
    """

    labels: np.ndarray
    evidence: np.ndarray
    image_log_proba: np.ndarray
    centres: np.ndarray
    silhouette_score: float
    ratio_accumulated: float
    batches: int


@attrs.define
class ContrastiveStep:
    """Trains the injected encoder and turns its clusters into sure fragment labels."""

    encoder: ContrastiveEncoder
    clustering: EmbeddingClustering
    events: EventSink
    silhouette_target: float = 0.91
    patience: int = 30
    seed: int = 0

    def __call__(self, images: np.ndarray, image_fragment: np.ndarray, fragments: Fragments,
                 global_fragments: list[GlobalFragment], number_of_animals: int,
                 min_ratio: float = 0.5, accept: Callable[[ContrastiveResult], Judgement] | None = None
                 ) -> ContrastiveResult:
        """Args: uint8 (n, S, S) images of the individual blobs, (n,) their fragments, the session's
        fragments and global fragments (at least one accumulable), N, the ratio of sure images
        that makes the result final (training may stop once sure labels that large are stable),
        and the judgement of a result (None: any result with stable sure labels is final)."""
        t0 = time.perf_counter()
        judge = _Judge.of(fragments, global_fragments, number_of_animals,
                          singles=reachable_ratio(global_fragments, fragments) < min_ratio)
        pairs = contrastive_pairs(fragments)
        self.encoder.start(images, image_fragment, pairs.positive, pairs.negative, judge.first.fragments)
        result, z, accepted = self._train(len(images), image_fragment, pairs.positive, judge, min_ratio, accept)
        if not accepted and len(judge.first.fragments) < number_of_animals:  # see _kept_apart
            result = self._result(z, image_fragment, judge, result.silhouette_score, result.batches, kept_apart=True)
        self.encoder.finish()
        self.events.publish(ev.ContrastiveStepFinished(result.batches, result.silhouette_score,
                                                       result.ratio_accumulated, time.perf_counter() - t0))
        return result

    def _embedded_result(self, n_images: int, image_fragment: np.ndarray, judge: _Judge, silhouette: float,
                         batches: int) -> tuple[ContrastiveResult, np.ndarray]:
        """What the encoder identifies now, on every image, and their embedding (kept, so that the
        result training ends with can be clustered again without embedding every image twice)."""
        z = self.encoder.embed(np.arange(n_images))
        return self._result(z, image_fragment, judge, silhouette, batches), z

    def _result(self, z: np.ndarray, image_fragment: np.ndarray, judge: _Judge, silhouette: float,
                batches: int, kept_apart: bool = False) -> ContrastiveResult:
        """What embedding ``z`` of every image identifies (clustered by ``_kept_apart`` if asked)."""
        centres, log_proba = (_kept_apart(z, image_fragment, judge, self.seed) if kept_apart
                              else self._identities(z, image_fragment, judge))
        evidence = fragment_evidence(log_proba, image_fragment, len(judge.anchor))
        labels, ratio = judge(log_proba, image_fragment)
        return ContrastiveResult(labels, evidence, log_proba, centres, silhouette, ratio, batches)

    def _identities(self, z: np.ndarray, image_fragment: np.ndarray, judge: _Judge) -> tuple[np.ndarray, np.ndarray]:
        """((N, D) centres with row k = label k, (n, N) image log-probabilities) from k-means on z."""
        n = judge.number_of_animals
        init = _anchor_means(z, image_fragment, judge.first) if len(judge.first.fragments) == n else None
        centres, cluster = self.clustering.kmeans(z, n, init, self.seed)
        return _named_after_anchors(z, centres, cluster, image_fragment, judge)

    def _train(self, n_images: int, image_fragment: np.ndarray, positive: np.ndarray, judge: _Judge,
               min_ratio: float, accept: Callable[[ContrastiveResult], Judgement] | None
               ) -> tuple[ContrastiveResult, np.ndarray, bool]:
        """Train until a stop rule fires; the result of the model kept, its embedding of every
        image, and whether ``accept`` (or, without it, stable sure labels) made it final."""
        rng = np.random.default_rng(self.seed)
        candidates = np.flatnonzero(np.isin(image_fragment, positive))
        sample = np.sort(rng.choice(candidates, min(len(candidates), SAMPLE_PER_ANIMAL * judge.number_of_animals),
                                    replace=False))
        best, best_state, waited, batches = -np.inf, None, 0, 0
        best_ratio, stalled, held, recent, next_judgement = -np.inf, 0, 0, [], 0
        best_judged, stale_judgements = -np.inf, 0
        # judged again once training has done as much work as a judgement
        trained = FORWARDS_PER_TRAINING_IMAGE * IMAGES_PER_PAIR * self.encoder.batch_pairs * EVAL_EVERY
        judge_every = EVAL_EVERY * max(1, math.ceil(n_images / trained))
        with self.events.progress("Contrastive training", None) as advance:
            while True:
                judged = None
                loss = self.encoder.train(EVAL_EVERY)
                batches += EVAL_EVERY
                advance(EVAL_EVERY)
                z = self.encoder.embed(sample)
                _, log_proba = self._identities(z, image_fragment[sample], judge)
                score = self.clustering.silhouette(z, log_proba.argmax(1))
                _, ratio = judge(log_proba, image_fragment[sample])
                recent = (recent + [ratio])[-(STABLE_EVALUATIONS + 1):]
                if min(recent) > best_ratio + MIN_RATIO_GAIN:  # growth counts once it has held
                    best_ratio, stalled = min(recent), 0
                else:
                    stalled += 1
                held = held + 1 if ratio >= min_ratio else 0
                self.events.publish(ev.ContrastiveEvaluated(batches, loss, score, ratio, stalled))
                if score > best + MIN_IMPROVEMENT:
                    best, best_state, waited = score, self.encoder.snapshot(), 0
                else:
                    waited += 1
                if best >= self.silhouette_target or waited >= self.patience:
                    self.encoder.restore(best_state)
                    return (*self._embedded_result(n_images, image_fragment, judge, best, batches), False)
                if held > STABLE_EVALUATIONS and batches >= next_judgement:
                    judged, embedded = self._embedded_result(n_images, image_fragment, judge, score, batches)
                    judgement = None if accept is None else accept(judged)
                    if judgement is None or judgement.final:
                        return judged, embedded, True
                    self.events.publish(ev.ContrastiveJudged(batches, judgement.estimated_accuracy))
                    if judgement.estimated_accuracy > best_judged + MIN_RATIO_GAIN:
                        best_judged, stale_judgements = judgement.estimated_accuracy, 0
                    else:
                        stale_judgements += 1
                    if stale_judgements >= STABLE_EVALUATIONS:
                        return judged, embedded, False  # not getting closer to final: accumulation takes over
                    next_judgement = batches + judge_every
                if stalled >= min(self.patience, RATIO_PATIENCE):  # the model judged just now is this one
                    if judged is None:
                        judged, embedded = self._embedded_result(n_images, image_fragment, judge, score, batches)
                    return judged, embedded, False


def _kept_apart(z: np.ndarray, image_fragment: np.ndarray, judge: _Judge, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """((N, D) centres with row k = label k, (n, N) image log-probabilities) from clustering the
    fragments with coexisting ones kept apart (``constrained_kmeans``), started from the first
    global fragment's fragments (held in their clusters) and k-means++ draws for the rest.

    For the result training ends with where the first global fragment is partial (no stretch
    shows every animal apart): k-means from k-means++ draws then merged two animals and split a
    third wherever the embedding had not pulled them apart, and accumulation's warm start carried
    those names (the crowded tank, seed 1: 12 % of the sure images wrong). Training itself, its
    evaluations and judgements, is clustered as before, so it stops where it did, and a result
    judged final is kept as judged: only one handed to accumulation is clustered again."""
    n = judge.number_of_animals
    means, counts = fragment_means(z, image_fragment, len(judge.anchor))
    anchors = judge.first.fragments
    start = seeded_centres(means, counts, anchors, n, np.random.default_rng(seed))
    fixed = np.full(n, -1, np.int64)
    fixed[:len(anchors)] = anchors[:n]
    centres, cluster = constrained_kmeans(means, counts, judge.coexistence, start, fixed)
    return _named_after_anchors(z, centres, cluster[image_fragment], image_fragment, judge)


def _named_after_anchors(z: np.ndarray, centres: np.ndarray, image_cluster: np.ndarray, image_fragment: np.ndarray,
                         judge: _Judge) -> tuple[np.ndarray, np.ndarray]:
    """((N, D) centres reordered so row k = label k, (n, N) image log-probabilities): each cluster
    takes the label of the first global fragment's fragment whose images it holds most of."""
    known = judge.anchor[image_fragment] >= 0
    by_label = np.empty_like(centres)
    named = match_clusters(image_cluster[known], judge.anchor[image_fragment][known], judge.number_of_animals)
    by_label[named] = centres
    return by_label, centre_log_proba(z, by_label)


def _anchor_means(z: np.ndarray, image_fragment: np.ndarray, first: GlobalFragment) -> np.ndarray | None:
    """(N, D) mean embedding of each first-global-fragment fragment, or None if one has no image here."""
    means = []
    for f in first.fragments:
        mine = image_fragment == f
        if not mine.any():
            return None
        means.append(z[mine].mean(0))
    return np.array(means)


@attrs.frozen
class _Judge:
    """Which fragments the clusters identify surely: global fragments placed one-to-one and with margin.

    The first global fragment may be partial (fewer fragments than animals, where no stretch shows
    them all apart): its fragments anchor as many labels, k-means then starts without them.

    Global fragments are visited nearest the first one first, repeatedly, so one made consistent
    by a later acceptance is still taken. With ``singles`` (where the global fragments cannot cover
    the share of images a final result needs), single fragments the clusters are certain of,
    consistently and uniquely among those they coexist with (``certain_unique_fragments``, the
    accumulation's rule), are sure too: without them the sure share could never grow, so the
    stop rules would end training on the first global fragment's share, and the accumulation that
    takes over would start from it alone (on the crowded tank, 391 images of 4,727).
    """

    first: GlobalFragment
    anchor: np.ndarray
    fragments: Fragments
    coexistence: Coexistence
    order: list[GlobalFragment]
    members: np.ndarray
    number_of_animals: int
    singles: bool

    @classmethod
    def of(cls, fragments: Fragments, global_fragments: list[GlobalFragment], n: int, singles: bool = False) -> _Judge:
        accumulable = [g for g in global_fragments if is_accumulable(g, fragments)]
        first = first_global_fragment(accumulable, fragments)
        anchor = np.full(len(fragments), -1, np.int64)
        anchor[first.fragments] = np.arange(len(first.fragments))
        coexistence = Coexistence.of(fragments.start, fragments.stop, np.flatnonzero(fragments.is_individual))
        order = sorted(accumulable, key=lambda g: abs(g.start - first.start))
        # Coverage is judged on every long individual fragment, not only those in global fragments:
        # with a single accumulable global fragment its own anchors would otherwise count as 100 %.
        return cls(first, anchor, fragments, coexistence, order, long_fragments(fragments), n, singles)

    def __call__(self, log_proba: np.ndarray, image_fragment: np.ndarray) -> tuple[np.ndarray, float]:
        """((F,) sure labels, -1 elsewhere; fraction of the long individual fragments' images they
        cover) from the (n, N) image log-probabilities of the images of ``image_fragment``."""
        evidence = fragment_evidence(log_proba, image_fragment, len(self.anchor))
        labels = self.anchor.copy()
        changed = True
        while changed:
            changed = False
            for gf in self.order:
                for f, identity in accept_global_fragment(gf, labels, evidence, self.coexistence, ACCEPT_MARGIN).items():
                    labels[f] = identity
                    changed = True
        if self.singles:
            votes = image_votes(log_proba, image_fragment, len(self.anchor))
            while True:
                single = certain_unique_fragments(evidence, votes, labels, self.members[labels[self.members] < 0],
                                                  self.coexistence, MIN_IMAGES_TO_ACCUMULATE)
                if not single:
                    break
                labels[list(single)] = list(single.values())
        n_images = self.fragments.n_images[self.members]
        return labels, float(n_images[labels[self.members] >= 0].sum() / n_images.sum())
