"""Turning per-image identity probabilities into one identity per fragment.

Decisions are made per fragment, never per image: a fragment's evidence is the sum of its
images' log-probabilities, so a 50-image fragment at 80 % image accuracy is decided with near
certainty. Fragments alive at the same time must get different identities.

Identities here are 0-based labels; -1 means "not assigned".
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from .coexistence import Coexistence
from .crossing_groups import CrossingGroup, conserved_choice, sides_by_fragment
from .global_fragments import GlobalFragment
from .motion_fusion import MotionLinks

LOG_PROB_FLOOR = -8.0
#: A fragment is certain when its evidence beats the runner-up by this much per image (log units)...
MIN_MARGIN_PER_IMAGE = 1.0
#: ... and this fraction of its images vote for its best identity.
MIN_VOTE_FRACTION = 0.7


def fragment_evidence(log_probs: np.ndarray, image_fragment: np.ndarray, number_of_fragments: int) -> np.ndarray:
    """(F, N) summed log-probabilities of each fragment's images (floored, so one bad image cannot veto)."""
    evidence = np.zeros((number_of_fragments, log_probs.shape[1]))
    np.add.at(evidence, image_fragment, np.maximum(log_probs, LOG_PROB_FLOOR))
    return evidence


def image_votes(log_probs: np.ndarray, image_fragment: np.ndarray, number_of_fragments: int) -> np.ndarray:
    """(F, N) number of each fragment's images whose most likely identity is each identity."""
    votes = np.zeros((number_of_fragments, log_probs.shape[1]))
    np.add.at(votes, (image_fragment, log_probs.argmax(1)), 1)
    return votes


def certain_identity(evidence: np.ndarray, votes: np.ndarray, min_images: int) -> np.ndarray:
    """(F,) each fragment's best identity where its images are certain of it, -1 elsewhere.

    Certain: ``min_images`` or more scored images, a lead over the runner-up of
    ``MIN_MARGIN_PER_IMAGE`` per image and ``MIN_VOTE_FRACTION`` of the image votes.
    """
    n_images = votes.sum(1)
    rows = np.arange(len(evidence))
    best = evidence.argmax(1)
    runner_up = np.partition(evidence, -2, axis=1)[:, -2]
    certain = ((n_images >= min_images) & (evidence[rows, best] - runner_up >= MIN_MARGIN_PER_IMAGE * n_images)
               & (votes[rows, best] >= MIN_VOTE_FRACTION * n_images))
    return np.where(certain, best, -1)


def rejected_identities(evidence: np.ndarray, n_images: np.ndarray) -> np.ndarray:
    """(F, N) bool: the identities a fragment's images rule out, those trailing its best by
    ``MIN_MARGIN_PER_IMAGE`` per image (fragments without scored images rule out none)."""
    deficit = evidence.max(1, keepdims=True) - evidence
    return (n_images[:, None] > 0) & (deficit >= MIN_MARGIN_PER_IMAGE * n_images[:, None])


def certain_unique_fragments(evidence: np.ndarray, votes: np.ndarray, labels: np.ndarray, candidates: np.ndarray,
                             coexistence: Coexistence, min_images: int) -> dict[int, int]:
    """New labels for the candidates whose best identity is certain, consistent and unique.

    Per fragment rather than per global fragment, so one doubtful animal does not hold back the
    other N - 1. Certain: see ``certain_identity``. Consistent: no
    coexisting labelled fragment holds the identity. Unique: no coexisting unlabelled fragment
    with scored images has it as its best. A classifier confidently wrong about an animal is wrong
    in the same direction about its look-alike, so two coexisting claims on one identity veto each
    other. A fragment whose coexisting labelled fragments hold every identity but one is that one,
    unless its images are certain of another: this is how animals the classifier has barely seen
    (a short first fragment) get their training images. Fragments accepted with the same identity that
    coexist (only possible by elimination, on inconsistent data) are all dropped.

    Args:
        evidence: (F, N) summed image log-probabilities per fragment.
        votes: (F, N) image votes per fragment (``image_votes``); fragments without scored images claim nothing.
        labels: (F,) current labels, -1 unlabelled; not modified.
        candidates: unlabelled fragment ids to consider.
        coexistence: adjacency between the individual fragments.
        min_images: scored images a candidate needs.
    """
    n_images = votes.sum(1)
    best = evidence.argmax(1)
    sure = certain_identity(evidence, votes, min_images)
    claims = np.where(labels >= 0, labels, np.where(n_images > 0, best, -1))
    accepted = {}
    for f in candidates[n_images[candidates] >= min_images]:
        neighbours = coexistence.neighbours(f)
        if sure[f] >= 0 and not np.any(claims[neighbours] == sure[f]):
            accepted[int(f)] = int(sure[f])
            continue
        free = np.setdiff1d(np.arange(evidence.shape[1]), labels[neighbours])
        if len(free) == 1 and sure[f] in (-1, free[0]):
            accepted[int(f)] = int(free[0])
    return _without_clashes(accepted, coexistence)


def _without_clashes(accepted: dict[int, int], coexistence: Coexistence) -> dict[int, int]:
    """Drop every accepted fragment that coexists with another one accepted with the same identity."""
    clash = {f for f, identity in accepted.items()
             if any(accepted.get(int(g)) == identity for g in coexistence.neighbours(f))}
    return {f: identity for f, identity in accepted.items() if f not in clash}


def excluded_identities(fragment: int, labels: np.ndarray, coexistence: Coexistence) -> np.ndarray:
    """Labels already taken by fragments coexisting with ``fragment``."""
    taken = labels[coexistence.neighbours(fragment)]
    return np.unique(taken[taken >= 0])


def _margin(scores: np.ndarray) -> tuple[int, float]:
    """(best index, best minus runner-up); infinite margin when only one option is left."""
    finite = np.isfinite(scores)
    if not finite.any():
        return -1, -np.inf
    best = int(np.argmax(scores))
    if finite.sum() == 1:
        return best, np.inf
    second = np.partition(scores[finite], -2)[-2]
    return best, float(scores[best] - second)


def accept_global_fragment(gf: GlobalFragment, labels: np.ndarray, evidence: np.ndarray,
                           coexistence: Coexistence, min_margin: float) -> dict[int, int]:
    """New labels for a global fragment's unlabelled fragments, or {} if they are not sure.

    The N fragments of a global fragment are N different animals: the unlabelled ones get the
    free identities by a one-to-one assignment on their evidence. The result is accepted only if
    every fragment's assigned identity is also its own best allowed choice by at least
    ``min_margin`` (log-likelihood) and no fragment coexisting with it already holds it.
    """
    free = [int(f) for f in gf.fragments if labels[f] < 0]
    if not free:
        return {}
    taken = {int(labels[f]) for f in gf.fragments if labels[f] >= 0}
    ids = np.array([i for i in range(evidence.shape[1]) if i not in taken])
    if len(ids) < len(free):
        return {}
    rows, cols = linear_sum_assignment(-evidence[np.ix_(free, ids)])
    proposal = {}
    for r, c in zip(rows, cols):
        f, identity = free[r], int(ids[c])
        scores = evidence[f].copy()
        scores[excluded_identities(f, labels, coexistence)] = -np.inf
        best, margin = _margin(scores)
        if best != identity or margin < min_margin:
            return {}
        proposal[f] = identity
    return proposal


def assign_residual(labels: np.ndarray, evidence: np.ndarray, candidates: np.ndarray,
                    coexistence: Coexistence, crossings: Sequence[CrossingGroup] = (),
                    links: MotionLinks | None = None) -> np.ndarray:
    """Label the remaining fragments, surest first, never repeating a coexisting identity.

    A priority queue keyed on each fragment's margin (best minus runner-up allowed identity) is
    updated lazily: assigning a fragment only re-scores its unlabelled neighbours. A fragment
    with no identity left stays -1. Identities are conserved through ``crossings``: a fragment
    whose group is fully labelled on the other side may only take an identity that entered (or
    left) with it and that its own side does not hold yet, so it is named by elimination, with
    an infinite margin, as soon as its companions are.

    Args:
        labels: (F,) current labels (-1 unassigned); not modified.
        evidence: (F, N) fragment evidence.
        candidates: fragment ids to label (the unlabelled individual ones).
        coexistence: adjacency between fragments.
        crossings: groups through which identities are conserved.
        links: soft continuations by motion; a fragment's labelled neighbours add their
            ``MotionLinks.log_odds`` to its evidence (and naming one re-scores its neighbours).
    """
    labels = labels.copy()
    version = np.zeros(len(labels), np.int64)
    heap: list[tuple[float, int, int, int]] = []
    sides = sides_by_fragment(crossings)

    def push(f: int) -> None:
        scores = evidence[f].copy()
        if links is not None:
            scores += links.log_odds(f, labels, evidence.shape[1])
        scores[excluded_identities(f, labels, coexistence)] = -np.inf
        for own, other in sides.get(f, ()):
            choice = conserved_choice(own, other, labels)
            if choice is not None and np.isfinite(scores[choice]).any():
                outside = np.ones(len(scores), bool)
                outside[choice] = False
                scores[outside] = -np.inf
        best, margin = _margin(scores)
        heapq.heappush(heap, (-margin, int(f), int(version[f]), best))

    for f in candidates:
        if labels[f] < 0:
            push(int(f))
    while heap:
        _, f, v, best = heapq.heappop(heap)
        if v != version[f] or labels[f] >= 0:
            continue
        labels[f] = best
        if best < 0:
            continue
        affected = [coexistence.neighbours(f)] + [np.concatenate(pair) for pair in sides.get(f, ())]
        if links is not None:
            affected.append(links.neighbours(f))
        for g in np.unique(np.concatenate(affected)):
            if labels[g] < 0:
                version[g] += 1
                push(int(g))
    return labels


def reclaim_identities(labels: np.ndarray, evidence: np.ndarray, candidates: np.ndarray, n_images: np.ndarray,
                       coexistence: Coexistence, protected: np.ndarray) -> np.ndarray:
    """Give each fragment left without an identity its best one back when it holds the stronger claim.

    A fragment is left unassigned when coexisting fragments hold every identity, which happens
    when one of them took its identity by mistake (a short fragment accepted early, by a
    classifier that had barely seen the animal). Its evidence decides: the unassigned fragment
    takes its best identity if its margin for it (over its runner-up) is larger than those of the
    fragments holding it together, and they lose their labels, to be assigned again. Larger
    fragments go first; ``protected`` fragments (the first global fragment's) are never displaced.

    Args:
        labels: (F,) labels after the residual assignment; not modified.
        evidence: (F, N) fragment evidence.
        candidates: the fragments that may reclaim (the individual ones).
        n_images: (F,) images per fragment.
        coexistence: adjacency between fragments.
        protected: fragments never displaced.

    Returns:
        New labels, with the displaced fragments at -1.
    """
    labels = labels.copy()
    protected_mask = np.zeros(len(labels), bool)
    protected_mask[protected] = True
    unassigned = candidates[(labels[candidates] < 0) & (n_images[candidates] > 0)]
    for f in unassigned[np.argsort(-n_images[unassigned], kind="stable")]:
        if labels[f] >= 0:
            continue
        best = int(evidence[f].argmax())
        neighbours = coexistence.neighbours(f)
        holders = neighbours[labels[neighbours] == best]
        if protected_mask[holders].any():
            continue
        if _claim(evidence[f], best) > sum(max(_claim(evidence[h], best), 0.0) for h in holders):
            labels[holders] = -1
            labels[f] = best
    return labels


def _claim(scores: np.ndarray, identity: int) -> float:
    """Evidence for ``identity`` over the best other one."""
    return float(scores[identity] - np.delete(scores, identity).max())


def identity_probability(labels: np.ndarray, evidence: np.ndarray, fragments: np.ndarray,
                         impossible: np.ndarray | None = None) -> np.ndarray:
    """(len(fragments),) posterior of each fragment's label from its own images' evidence.

    Labels that were inferred for coexisting fragments are not used to exclude identities, so the
    figure says how sure the images make us (an honest basis for the estimated accuracy: on the
    bench, excluding them made wrong labels look sure). ``impossible`` ((len(fragments), N) bool)
    marks the identities a fragment cannot have whatever its images say: those given to fragments
    it coexists with (``given_exclusions``); a label that is impossible gets 0.
    """
    out = np.zeros(len(fragments))
    chosen = labels[fragments]
    ok = chosen >= 0
    scores = evidence[fragments[ok]].astype(np.float64)
    if impossible is not None:
        scores = np.where(impossible[ok], -np.inf, scores)
    possible = np.isfinite(scores).any(1)
    top = np.where(possible, scores.max(1, initial=-np.inf), 0.0)
    p = np.exp(scores - top[:, None])
    total = p.sum(1)
    out[ok] = np.where(possible, p[np.arange(len(p)), chosen[ok]] / np.where(possible, total, 1.0), 0.0)
    return out


def renaming_after(anchors: np.ndarray, evidence: np.ndarray) -> np.ndarray:
    """(N,) the label each identity of another identification takes when anchor fragment i is
    label i (the naming of an identification whose first global fragment is ``anchors``):
    identities are matched one to one by the anchors' evidence (F, N) in that identification
    (Hungarian); identities no anchor takes (a partial first global fragment) get the remaining
    labels in order."""
    n = evidence.shape[1]
    rows, cols = linear_sum_assignment(-evidence[anchors])
    rename = np.full(n, -1, np.int64)
    rename[cols] = rows
    rename[rename < 0] = np.setdiff1d(np.arange(n), rows)
    return rename


def given_exclusions(labels: np.ndarray, fragments: np.ndarray, given: np.ndarray, coexistence: Coexistence,
                     number_of_identities: int) -> np.ndarray:
    """(len(fragments), N) bool: the identities of the ``given`` fragments (labels known, not
    inferred: the first global fragment's) that each of ``fragments`` coexists with. One animal
    cannot be two at once, so these are impossible for it, however much its images resemble them:
    on the bench the labels left to such fragments by exclusion were right while their images,
    alone, gave them a posterior near 0 (8_blur_uneven: 6 % of the images, an estimate 5.6 points
    low). A given fragment excludes nothing for itself."""
    given_labels = np.full(len(labels), -1, np.int64)
    given_labels[given] = labels[given]
    out = np.zeros((len(fragments), number_of_identities), bool)
    for row, f in enumerate(fragments):
        if given_labels[f] < 0:
            out[row, excluded_identities(int(f), given_labels, coexistence)] = True
    return out


def contradicted_labels(labels: np.ndarray, evidence: np.ndarray, n_images: np.ndarray,
                        protected: np.ndarray) -> np.ndarray:
    """Labelled fragments whose own images now favour another identity by ``MIN_MARGIN_PER_IMAGE``
    per image: labels given by elimination or through crossings, or accepted by an earlier, less
    trained classifier, that the classifier trained on them still rejects. ``n_images`` (F,) are
    the images scored per fragment; ``protected`` fragments (the first global fragment's) are
    never returned."""
    labelled = np.flatnonzero((labels >= 0) & (n_images > 0))
    labelled = labelled[~np.isin(labelled, protected)]
    rejected = rejected_identities(evidence[labelled], n_images[labelled])
    return labelled[rejected[np.arange(len(labelled)), labels[labelled]]]
