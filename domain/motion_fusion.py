"""Fusing motion with appearance where neither alone is sure which way animals left a crossing.

Summed over a fragment's images, appearance log-likelihoods count every frame as a new look at
the animal, but consecutive frames are nearly the same picture: look-alike animals then get
confident, wrong identities from a hundred weak, correlated votes. The integrated
autocorrelation time of the image log-likelihoods along the fragments (measured here, per video)
says how many frames make one independent look; dividing the evidence by it gives appearance
posteriors on the same footing as motion's, except that the looks of one long tracklet share a
bias of their own, so its evidence saturates (``saturated_evidence``). A crossing's ways through
are then weighed by both:
the motion log-likelihood of each join plus the log-probability that the two fragments show the
same animal.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np

from .coexistence import Coexistence
from .crossing_groups import CrossingGroup
from .motion import MAX_EXACT_GROUP, FragmentEnds, MotionModel, join_log_likelihood, join_posterior
from .tracklets import best_way, chain_joins

#: Lags (images) the autocorrelation is summed over at most; it stops earlier at the first lag
#: whose correlation is no longer positive (the initial positive sequence estimator).
MAX_CORRELATION_LAG = 100


def image_correlation_time(log_proba: np.ndarray, image_fragment: np.ndarray) -> float:
    """Integrated autocorrelation time (images, at least 1) of the image log-likelihoods around
    their fragment's mean, over consecutive images of one fragment (the images of a fragment are
    in frame order, other fragments' may come between them)."""
    order = np.argsort(image_fragment, kind="stable")
    log_proba, image_fragment = log_proba[order], image_fragment[order]
    count = np.bincount(image_fragment)
    mean = np.zeros((len(count), log_proba.shape[1]))
    np.add.at(mean, image_fragment, log_proba)
    mean /= np.maximum(count, 1)[:, None]
    residual = log_proba - mean[image_fragment]
    variance = float(np.sum(residual * residual))
    if variance <= 0:
        return 1.0
    tau = 1.0
    for lag in range(1, min(MAX_CORRELATION_LAG, len(log_proba) - 1) + 1):
        same = image_fragment[lag:] == image_fragment[:-lag]
        if not same.any():
            break
        rho = float(np.sum(residual[lag:][same] * residual[:-lag][same])) / variance
        if rho <= 0:
            break
        tau += 2 * rho
    return tau


def tempered_posteriors(evidence: np.ndarray, correlation_time: float) -> np.ndarray:
    """(F, N) identity posteriors of each fragment from its evidence counted in independent looks."""
    scores = evidence / correlation_time
    scores = scores - scores.max(1, keepdims=True)
    p = np.exp(scores)
    return p / p.sum(1, keepdims=True)


#: Independent looks one unit's appearance evidence is worth at most (``saturated_evidence``).
#: On the bench (fusion replayed on each case's identification: 14 and 30 small look-alikes,
#: 8 look-alikes and 8 schooling, each on 3 seeds, 8_distinct): on 8_lookalike caps of 4 to 10
#: independent looks undid the swap (0.896 -> 0.9999), 20 did not; every other case kept the same
#: identities at any cap from 4 up. At 4, replayed on 20_crowded seeds 0-2: 0.998 / 0.866 / 0.804
#: -> 0.998 / 0.880 / 0.799. Fusion saturates the tracklets' and units' evidence; the segmented
#: fragments' evidence that weighs motion's own joins again (``revised_joins``) and scores the
#: appearance weight is not: those fragments end at every crossing and are short.
MAX_LOOKS_PER_UNIT = 4.0


def saturated_evidence(evidence: np.ndarray, looks_held: np.ndarray) -> np.ndarray:
    """(U, N) the evidence of units holding ``looks_held`` (U,) independent looks each, counted
    as L / (1 + L / MAX_LOOKS_PER_UNIT) looks rather than L.

    The images of one tracklet share more than neighbouring frames do: where in the arena the
    animal swam, the light there, its posture habits. A classifier's leaning towards a wrong
    identity that comes from these stays the same along the whole tracklet, so summed evidence
    grows with the tracklet's length while its reliability does not: per look, evidence is
    signal + the tracklet's own bias + noise, and the bias, shared by every look, caps how much
    the looks can say (a random-effect model: a log-likelihood ratio that grows as L / (1 + L /
    L_max), L_max the noise-to-bias variance ratio). On 8_lookalike, a 568-frame tracklet of one
    animal looked like another by 8.7 nats (in independent looks, before the classifier was taught
    it) against motion's 0.81 for the true way through two crossings, and the swap held for 400
    frames. The autocorrelation time (``image_correlation_time``) does not see this bias: it
    measures images around their own fragment's mean, which the bias is part of."""
    return evidence / (1.0 + looks_held / MAX_LOOKS_PER_UNIT)[:, None]


#: Same-animal odds (against chance) never go below this: a floor, not a verdict, where both
#: posteriors are sure of different identities.
MIN_SAME_ODDS = 1e-12


def appearance_log_odds(posteriors: np.ndarray, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(len(before), len(after)) log of how much likelier fragments ``before`` and ``after`` show
    one animal by their looks than two fragments drawn at random (0: appearance cannot tell)."""
    n = posteriors.shape[1]
    same = posteriors[before] @ posteriors[after].T
    return np.log(np.maximum(n * same, MIN_SAME_ODDS))


#: Motion posterior at which a way through a crossing it left open is one that appearance is
#: scored against (``open_way_rows``). On the bench (fusion rerun on each case's identification),
#: scoring every open way (0) or those above 0.5 lost the crowded tanks 2-5 points; at 0.9 every
#: case was at least as accurate as with the evidence unweighted.
SURE_MOTION_WAY = 0.9
#: Weights of the tempered appearance evidence that ``appearance_weight`` chooses from: steps of
#: sqrt(2) from 1 (each independent look counted once) down to 1/32. Never above 1: independent
#: looks are the most the images can say. Not 0 (motion alone): it took 14_small_lookalike_s2 from
#: 0.890 to 0.943, but a video with few sure ways has a wide standard error, the rule then falls to
#: the smallest weight, and at 0 the README's demo (idtrackerai_test --animals 4 --frames 200
#: --seed 1) lost two labels the looks had right: 1.000 -> 0.873.
APPEARANCE_WEIGHTS = 2.0 ** -np.arange(0, 5.5, 0.5)

#: One way motion believes: a fragment, the fragments it may continue as (or be continued from),
#: and motion's probability of each.
WayRow = tuple[int, np.ndarray, np.ndarray]


def open_way_rows(ways: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> list[WayRow]:
    """The entering fragments of crossings motion left open whose way out it is nearly sure of
    (``SURE_MOTION_WAY``); ``ways``: per crossing (before, after, (k, k) motion posterior)."""
    return [(int(before[r]), after, posterior[r]) for before, after, posterior in ways
            for r in np.flatnonzero(posterior.max(1) >= SURE_MOTION_WAY)]


def joined_way_rows(groups: Sequence[CrossingGroup], tracklet: np.ndarray, taught: np.ndarray) -> list[WayRow]:
    """The ways motion joined through crossings (its surest), where the classifier was not taught
    the tracklet: an entering fragment and every fragment leaving its crossing, motion's way certain.

    Args:
        groups: crossing groups (``entering``, ``leaving``) in fragment ids.
        tracklet: (F,) tracklet of each fragment.
        taught: per tracklet, whether the classifier was trained on its images (its looks there
            would agree with the join by memory).
    """
    rows = []
    for group in groups:
        if len(group.leaving) < 2:
            continue
        for fragment in group.entering:
            way = np.flatnonzero(tracklet[group.leaving] == tracklet[fragment])
            if len(way) == 1 and not taught[tracklet[fragment]]:
                rows.append((int(fragment), group.leaving, np.eye(len(group.leaving))[way[0]]))
    return rows


def way_log_scores(scores: np.ndarray, rows: Sequence[WayRow]) -> np.ndarray:
    """(len(APPEARANCE_WEIGHTS), len(rows)) how well appearance alone, its evidence ``scores``
    (in independent looks) times each weight, predicts each way: log of the motion probability of
    the fragment appearance would continue as, averaged over appearance's posterior (bounded by
    motion's own doubt, so one confident disagreement does not decide)."""
    table = np.zeros((len(APPEARANCE_WEIGHTS), len(rows)))
    if not rows:
        return table
    row = np.concatenate([np.full(len(candidates), r) for r, (_, candidates, _) in enumerate(rows)])
    fragment = np.concatenate([np.full(len(candidates), f) for f, candidates, _ in rows])
    candidate = np.concatenate([candidates for _, candidates, _ in rows])
    motion = np.concatenate([probability for _, _, probability in rows])
    floor = MIN_SAME_ODDS / scores.shape[1]  # the odds' floor, as a probability
    for w, weight in enumerate(APPEARANCE_WEIGHTS):
        posteriors = tempered_posteriors(scores * weight, 1.0)
        same = np.maximum(np.einsum("ij,ij->i", posteriors[fragment], posteriors[candidate]), floor)
        agreed = np.bincount(row, same * motion, minlength=len(rows))
        table[w] = np.log(np.maximum(agreed, 1e-300)) - np.log(np.bincount(row, same, minlength=len(rows)))
    return table


def appearance_weight(log_scores: np.ndarray) -> float:
    """How much of the tempered appearance evidence to believe on this video: the smallest weight
    whose mean score on the ways motion is sure of (``way_log_scores``) is within one standard
    error of the best (the one-standard-error rule of cross-validation); 1 with fewer than two ways.

    Counting independent looks corrects for correlated images but not for a classifier that is
    confidently wrong: with small look-alike animals 40-110 nats pointed to the wrong identity
    even from a classifier never taught the fragment, at crossings its looks predicted motion's
    ways no better than chance, and its labels overrode motion. Motion's sure ways are a truth
    the classifier was not taught; where appearance does not predict them measurably better
    than a smaller weight would, the smaller weight is taken and motion decides more.

    On the bench (fusion rerun on each case's identification, 12 cases): the best-scoring weight
    itself gave 0.90/0.98/0.87 on the three small look-alike seeds (this rule: 0.97/1.00/0.89);
    two or three standard errors lost the crowded tanks 6-9 points and, at three, 8_lookalike 11.
    """
    if log_scores.shape[1] < 2:
        return 1.0
    mean = log_scores.mean(1)
    best = int(np.argmax(mean))
    error = (log_scores - log_scores[best]).std(1, ddof=1) / np.sqrt(log_scores.shape[1])
    return float(APPEARANCE_WEIGHTS[np.flatnonzero(mean >= mean[best] - error).max()])


@attrs.frozen
class MotionLinks:
    """Soft continuations between fragments, from crossings motion could not resolve for sure.

    Row r says: fragment ``fragment[r]`` continues (``side`` 1) or is continued from (``side`` 0)
    ``neighbour[r]`` with ``probability[r]``; the probabilities of one fragment's side sum to 1
    at most (rows sorted by fragment).
    """

    fragment: np.ndarray
    neighbour: np.ndarray
    side: np.ndarray
    probability: np.ndarray
    indptr: np.ndarray

    @classmethod
    def of(cls, fragment: np.ndarray, neighbour: np.ndarray, side: np.ndarray, probability: np.ndarray,
           number_of_fragments: int) -> MotionLinks:
        order = np.argsort(fragment, kind="stable")
        indptr = np.concatenate([[0], np.cumsum(np.bincount(fragment, minlength=number_of_fragments))])
        return cls(fragment[order], neighbour[order], side[order], probability[order], indptr.astype(np.int64))

    def rows(self, fragment: int) -> slice:
        return slice(int(self.indptr[fragment]), int(self.indptr[fragment + 1]))

    def neighbours(self, fragment: int) -> np.ndarray:
        return self.neighbour[self.rows(fragment)]

    def log_odds(self, fragment: int, labels: np.ndarray, number_of_identities: int) -> np.ndarray:
        """(N,) what the fragment's labelled neighbours say of its identity, against chance: per
        side, log(N * P(identity)), where a neighbour labelled k passes its link probability to k
        and the probability of the unlabelled ones (or of none) is spread evenly."""
        rows = self.rows(fragment)
        out = np.zeros(number_of_identities)
        for side in (0, 1):
            mine = self.side[rows] == side
            neighbour, probability = self.neighbour[rows][mine], self.probability[rows][mine]
            known = labels[neighbour] >= 0
            if not known.any():
                continue
            mass = np.zeros(number_of_identities)
            np.add.at(mass, labels[neighbour[known]], probability[known])
            rest = max(1.0 - float(probability[known].sum()), 0.0)
            out += np.log(np.maximum(number_of_identities * mass + rest, 1e-12))
        return out


#: Motion posterior a join needs for the identity of one side to be given to the other during
#: accumulation (a label, not a join: the classifier may still reject it, and a wrong one is
#: dropped by the rejection check of later steps).
MIN_FORCING_PROBABILITY = 0.99


def motion_forced_identities(ways: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], labels: np.ndarray,
                             coexistence: Coexistence, rejected: np.ndarray | None = None,
                             min_probability: float = MIN_FORCING_PROBABILITY) -> dict[int, int]:
    """Labels that motion gives through crossings it could not join for sure, repeated until
    nothing changes (a named fragment can name the next).

    Args:
        ways: per crossing, (before, after, posterior): the fragments entering and leaving it that
            were not joined, and the (k, k) motion posterior of each entering one leaving as each
            leaving one.
        labels: (F,) current labels, -1 unlabelled; not modified.
        coexistence: an identity a coexisting labelled fragment holds is never given.
        rejected: (F, N) bool, identities each fragment's own images rule out; never given.
        min_probability: posterior a join needs to pass its identity on.
    """
    labels = labels.copy()
    found: dict[int, int] = {}
    changed = True
    while changed:
        changed = False
        for before, after, posterior in ways:
            for source, target, p in ((before, after, posterior), (after, before, posterior.T)):
                for i, j in zip(*np.nonzero(p >= min_probability)):
                    f, identity = int(target[j]), int(labels[source[i]])
                    if identity < 0 or labels[f] >= 0 or np.any(labels[coexistence.neighbours(f)] == identity):
                        continue
                    if rejected is not None and rejected[f, identity]:
                        continue
                    labels[f] = found[f] = identity
                    changed = True
    return found


def revised_joins(groups: Sequence[CrossingGroup], model: MotionModel, ends: FragmentEnds, tracklet: np.ndarray,
                  start: np.ndarray, evidence: np.ndarray, looks: float,
                  min_probability: float) -> tuple[np.ndarray, int]:
    """The joins that made the tracklets, with those appearance overturns replaced, and how many
    crossings were revised.

    Motion joins a crossing's ways for sure only by its own account, before anything is known of
    the animals' looks; two animals that turn together inside a long crossing can still leave it
    the wrong way round (8_long: a 12-frame crossing, joined at 0.9999, that put two animals in one
    tracklet for 400 frames). Once identified, each crossing with joined ways is weighed again:
    motion plus the looks of the fragments that enter and leave it, in independent looks. Only
    theirs: a fragment is one animal, while the tracklet beyond it may hold another wrong join,
    whose other animal would then vote at this crossing too. Where the most likely way is no longer the
    one joined, its joins are undone and the new way's made where the two together reach
    ``min_probability`` (the bar motion's joins had); elsewhere the joins stand, so appearance
    alone never breaks what motion is sure of and it does not contradict.

    Args:
        groups: crossing groups in fragment ids.
        model, ends: this video's motion and the fragments' ends.
        tracklet: (F,) tracklet of each fragment; start: (F,) first frame of each.
        evidence: (F, N) summed image log-probabilities of each fragment.
        looks: images per independent look (evidence is divided by it).
        min_probability: posterior of the most likely way a new join needs.
    """
    joined = {(int(a), int(b)) for a, b in chain_joins(tracklet, start)}
    drop, add, revised = set(), [], 0
    for group in groups:
        entering, leaving = group.entering, group.leaving
        made = [(r, c) for r in range(len(entering)) for c in range(len(leaving))
                if (int(entering[r]), int(leaving[c])) in joined]
        if not made or max(len(entering), len(leaving)) > MAX_EXACT_GROUP:
            continue
        posteriors = tempered_posteriors(np.vstack([evidence[entering], evidence[leaving]]), looks)
        log_likelihood = join_log_likelihood(model, ends, entering, leaving) + appearance_log_odds(
            posteriors, np.arange(len(entering)), len(entering) + np.arange(len(leaving)))
        rows, cols = best_way(log_likelihood)
        best = set(zip(rows.tolist(), cols.tolist()))
        if all(pair in best for pair in made):
            continue
        revised += 1
        drop.update((int(entering[r]), int(leaving[c])) for r, c in made)
        posterior = join_posterior(log_likelihood)
        add += [(int(entering[r]), int(leaving[c])) for r, c in best if posterior[r, c] >= min_probability]
    kept = [pair for pair in joined if pair not in drop]
    has_next = {a for a, _ in kept}
    has_previous = {b for _, b in kept}
    kept += [(a, b) for a, b in add if a not in has_next and b not in has_previous]
    return np.array(sorted(kept), np.int64).reshape(-1, 2), revised
