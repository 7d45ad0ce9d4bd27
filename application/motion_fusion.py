"""After identification: joining the tracklets that motion and appearance together are sure of.

First the crossings motion joined for sure on its own are weighed again with the looks of the
fragments through them, and rejoined where the looks overturn motion (``revised_joins``).
Where a crossing's ways through were too doubtful for motion alone, the trained classifier's
looks (counted in independent looks, ``domain.motion_fusion``) are added to motion's evidence.
Tracklets joined that way are decided together: their evidence summed (and saturated: the looks
of one unit share its bias, ``saturated_evidence``), the label they agree on
kept (the first global fragment's always) where the images are sure of it, and the rest assigned
again, surest first, from appearance and what motion says, with identities conserved through the
remaining crossings.
"""

from __future__ import annotations

import time

import attrs
import numpy as np
from idtracker.domain.coexistence import Coexistence
from idtracker.domain.fragments import Fragments
from idtracker.domain.identity_assignment import (
    assign_residual,
    fragment_evidence,
    given_exclusions,
    identity_probability,
    reclaim_identities,
)
from idtracker.domain.motion import MAX_EXACT_GROUP, fragment_ends, join_log_likelihood, join_posterior
from idtracker.domain.motion_fusion import (
    MotionLinks,
    appearance_log_odds,
    appearance_weight,
    image_correlation_time,
    joined_way_rows,
    open_way_rows,
    revised_joins,
    saturated_evidence,
    tempered_posteriors,
    way_log_scores,
)
from idtracker.domain.tracklets import best_way, gap_candidates, join_fragments, open_passages, tracklet_groups

from . import events as ev
from .accumulation import Identification
from .motion_joins import MIN_JOIN_PROBABILITY, JoinedFragments
from .ports import EventSink


#: Tempered posterior (in independent looks, saturated per unit) an identification label needs to
#: be kept as it is; weaker ones are decided again with motion. The warning's bar (0.99); on
#: 14_small_lookalike, before the units' evidence was saturated, the labels it kept (4,464 of
#: 6,556 images) were all right, the wrong ones all fell below it.
KEEP_LABEL_POSTERIOR = 0.99


def fuse_motion_and_appearance(identification: Identification, joined: JoinedFragments, image_original: np.ndarray,
                               protected: np.ndarray, events: EventSink) -> tuple[Identification, JoinedFragments]:
    """The identification redone on the tracklets joined by motion and appearance together, and
    the tracklets it is on (motion's, with the joins appearance overturns replaced: ``revised_joins``).

    Appearance is believed as far as it predicts the ways motion is sure of on this video
    (``appearance_weight``). Labels the images make sure of, so counted, are kept; the others are
    assigned again, surest first, from the tempered, saturated appearance evidence plus what motion says
    through the crossings it could not resolve alone (``MotionLinks``).

    Args:
        identification: labels and evidence per tracklet.
        joined: the tracklets, their crossings and the motion model.
        image_original: (n_images,) fragment (as segmented) of each image, in frame order within a fragment.
        protected: fragments (as segmented) whose labels are given (the first global fragment's).
        events: where the ``MotionFused`` event goes.
    """
    if joined.model is None or joined.ends is None:
        return identification, joined
    t0 = time.perf_counter()
    tau = image_correlation_time(identification.image_log_proba, joined.tracklet[image_original])
    ways = _way_likelihoods(joined)
    weight = _appearance_weight(identification, joined, image_original, tau,
                                [(before, after, join_posterior(motion)) for before, after, motion in ways])
    looks = tau / weight  # images per look the classifier is worth on this video
    joined, identification, revised = revise_joins(identification, joined, image_original, protected, looks)
    if revised:
        ways = _way_likelihoods(joined)
    protected = np.unique(joined.tracklet[protected])
    tracklet_evidence = saturated_evidence(identification.evidence, joined.fragments.n_images / tau)
    pairs = _fused_pairs(ways, tempered_posteriors(tracklet_evidence, looks))
    units, unit_of = join_fragments(joined.fragments, pairs)
    evidence = np.zeros((len(units), identification.evidence.shape[1]))
    np.add.at(evidence, unit_of, identification.evidence / looks)
    sure = np.unique(unit_of[protected])
    labels = unit_labels(identification.labels, unit_of, len(units), protected)
    held_out = np.zeros_like(evidence)
    np.add.at(held_out, unit_of, identification.held_out_evidence / looks)
    independent_looks = units.n_images / tau
    evidence = saturated_evidence(evidence, independent_looks)
    held_out = saturated_evidence(held_out, independent_looks)
    posterior = tempered_posteriors(evidence, 1.0)
    doubtful = (labels >= 0) & (posterior[np.arange(len(units)), np.maximum(labels, 0)] < KEEP_LABEL_POSTERIOR)
    doubtful[sure] = False
    labels[doubtful] = -1
    individual = np.flatnonzero(units.is_individual)
    coexistence = joined.coexistence(unit_of, len(units))
    labels = _without_clashes(labels, coexistence, sure)
    crossings = tracklet_groups(joined.groups, unit_of[joined.tracklet], joined.original)
    links = _motion_links(joined, units, unit_of, len(units))
    labels = assign_residual(labels, evidence, individual, coexistence, crossings, links)
    labels = reclaim_identities(labels, evidence, individual, units.n_images, coexistence, sure)
    labels = assign_residual(labels, evidence, individual, coexistence, crossings, links)
    probability = np.zeros(len(units))
    impossible = given_exclusions(labels, individual, sure, coexistence, evidence.shape[1])
    probability[individual] = _fused_probability(labels, held_out, individual, links, impossible)
    probability[sure] = 1.0  # the first global fragment's labels name the identities: given, not inferred
    final = labels[unit_of]
    events.publish(ev.MotionFused(tau, weight, revised, len(pairs), int(units.is_individual.sum()),
                                  int((final != identification.labels).sum()), time.perf_counter() - t0))
    return Identification(final, probability[unit_of], identification.image_log_proba, identification.evidence,
                          identification.held_out_evidence, identification.ratio_accumulated), joined


def revise_joins(identification: Identification, joined: JoinedFragments, image_original: np.ndarray,
                 protected: np.ndarray, looks: float) -> tuple[JoinedFragments, Identification, int]:
    """The tracklets with the joins appearance overturns replaced (``revised_joins``, judged on
    the segmented fragments' own evidence), the identification carried to them, and how many
    crossings were revised."""
    original = joined.original
    evidence = fragment_evidence(identification.image_log_proba, image_original, len(original.start))
    joins, revised = revised_joins(joined.groups, joined.model, joined.ends, joined.tracklet, original.start,
                                   evidence, looks, MIN_JOIN_PROBABILITY)
    if not revised:
        return joined, identification, 0
    tracklets, tracklet = join_fragments(original, joins)
    carried = _carried(identification, joined.tracklet, tracklet, evidence, protected)
    return attrs.evolve(joined, fragments=tracklets, crossings=tracklet_groups(joined.groups, tracklet, original),
                        tracklet=tracklet), carried, revised


def _carried(identification: Identification, old: np.ndarray, new: np.ndarray, evidence: np.ndarray,
             protected: np.ndarray) -> Identification:
    """The identification of tracklets ``old`` (each fragment's) carried to tracklets ``new``: a
    tracklet made of the same fragments keeps all of it; one made anew has its fragments' summed
    ``evidence`` (held out too: none of it was taught as one) and no label, unless it holds a
    ``protected`` fragment, whose label is given."""
    units = int(new.max()) + 1
    pairs = np.unique(np.stack([old, new], 1), axis=0)
    from_old = np.bincount(pairs[:, 0], minlength=int(old.max()) + 1)
    to_new = np.bincount(pairs[:, 1], minlength=units)
    same = pairs[(from_old[pairs[:, 0]] == 1) & (to_new[pairs[:, 1]] == 1)]
    source = np.full(units, -1, np.int64)
    source[same[:, 1]] = same[:, 0]
    kept = source >= 0
    summed = np.zeros((units, evidence.shape[1]))
    np.add.at(summed, new, evidence)
    labels = np.where(kept, identification.labels[np.maximum(source, 0)], -1).astype(np.int64)
    labels[new[protected]] = identification.labels[old[protected]]
    def carry(per_tracklet: np.ndarray) -> np.ndarray:
        return np.where(kept[:, None], per_tracklet[np.maximum(source, 0)], summed)
    probability = np.where(kept, identification.fragment_probability[np.maximum(source, 0)], 0.0)
    return Identification(labels, probability, identification.image_log_proba, carry(identification.evidence),
                          carry(identification.held_out_evidence), identification.ratio_accumulated)


def _appearance_weight(identification: Identification, joined: JoinedFragments, image_original: np.ndarray,
                       tau: float, ways: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> float:
    """The share of the tempered appearance evidence believed: measured at the crossings motion
    left open but is nearly sure of (the tracklets' held-out evidence: what the classifier said
    before it was taught their labels, some of which motion itself forced through these crossings)
    and at those it joined inside tracklets the classifier was never taught (the segmented
    fragments' evidence); ``ways`` as ``motion_ways``. Fusion replayed on 11 bench cases with the
    held-out evidence: 20_crowded_s1 0.825 -> 0.843 (weight 0.25 -> 0.35), the 10 others unchanged."""
    # A tracklet's held-out evidence differs from the final classifier's only where it was taught.
    taught = np.any(identification.held_out_evidence != identification.evidence, axis=1)
    original = fragment_evidence(identification.image_log_proba, image_original, len(joined.original.start))
    scores = np.hstack([
        way_log_scores(identification.held_out_evidence / tau, open_way_rows(ways)),
        way_log_scores(original / tau, joined_way_rows(joined.groups, joined.tracklet, taught)),
    ])
    return appearance_weight(scores)


def motion_ways(joined: JoinedFragments) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per crossing not every animal came through joined: the tracklets entering and leaving it
    and the motion posterior of each way through (for ``Accumulation``'s motion_ways)."""
    if joined.model is None or joined.ends is None:
        return []
    return [(before, after, join_posterior(motion)) for before, after, motion in _way_likelihoods(joined)]


def _way_likelihoods(joined: JoinedFragments) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per crossing not every animal came through joined: the tracklets entering and leaving it
    and the (k, k) motion log-likelihood of each way through."""
    return [(before, after, join_log_likelihood(joined.model, joined.ends, entering, leaving))
            for entering, leaving, before, after in _open_ways(joined, joined.tracklet)]


def _fused_probability(labels: np.ndarray, evidence: np.ndarray, units: np.ndarray, links: MotionLinks,
                       impossible: np.ndarray) -> np.ndarray:
    """Posterior of each unit's label from its tempered, saturated looks and its labelled neighbours' motion,
    without the ``impossible`` identities ((len(units), N): those given to units it coexists with)."""
    scores = evidence[units] + np.array([links.log_odds(int(u), labels, evidence.shape[1]) for u in units])
    return identity_probability(labels[units], scores, np.arange(len(units)), impossible)


def _motion_links(joined: JoinedFragments, unit_fragments: Fragments, unit_of: np.ndarray, units: int) -> MotionLinks:
    """Soft links between units, by motion alone: through the crossings they were not joined
    through, and across the gaps (``gap_candidates``) of units no crossing group holds."""
    fragment, neighbour, side, probability = [], [], [], []
    for entering, leaving, _, _ in _open_ways(joined, unit_of[joined.tracklet]):
        posterior = join_posterior(join_log_likelihood(joined.model, joined.ends, entering, leaving))
        before, after = unit_of[joined.tracklet[entering]], unit_of[joined.tracklet[leaving]]
        rows, cols = np.meshgrid(np.arange(len(entering)), np.arange(len(leaving)), indexing="ij")
        rows, cols = rows.ravel(), cols.ravel()
        fragment += [before[rows], after[cols]]
        neighbour += [after[cols], before[rows]]
        side += [np.ones(len(rows), np.int64), np.zeros(len(rows), np.int64)]
        probability += [posterior[rows, cols]] * 2
    original, unit = joined.original, unit_of[joined.tracklet]
    ends_here = np.zeros(units, bool)  # the unit's end is a crossing group's business already
    starts_here = np.zeros(units, bool)
    for group in joined.groups:
        last = group.entering[original.stop[group.entering] == unit_fragments.stop[unit[group.entering]]]
        first = group.leaving[original.start[group.leaving] == unit_fragments.start[unit[group.leaving]]]
        ends_here[unit[last]] = True
        starts_here[unit[first]] = True
    ends = fragment_ends(unit_fragments, joined.blobs.centroid, joined.blobs.area)
    pairs, _, posterior = gap_candidates(unit_fragments, joined.model, ends, joined.max_gap)
    keep = ~ends_here[pairs[:, 0]] & ~starts_here[pairs[:, 1]]
    pairs, posterior = pairs[keep], posterior[keep]
    fragment += [pairs[:, 0], pairs[:, 1]]
    neighbour += [pairs[:, 1], pairs[:, 0]]
    side += [np.ones(len(pairs), np.int64), np.zeros(len(pairs), np.int64)]
    probability += [posterior] * 2
    return MotionLinks.of(np.concatenate(fragment), np.concatenate(neighbour), np.concatenate(side),
                          np.concatenate(probability), units)


def _fused_pairs(ways: list[tuple[np.ndarray, np.ndarray, np.ndarray]], posteriors: np.ndarray) -> np.ndarray:
    """(k, 2) tracklet pairs (before, after) of the crossings (``_way_likelihoods``) whose most
    likely way through, by motion and appearance together, reaches ``MIN_JOIN_PROBABILITY``."""
    pairs = []
    for before, after, motion in ways:
        if len(before) > MAX_EXACT_GROUP:
            continue
        log_likelihood = motion + appearance_log_odds(posteriors, before, after)
        posterior = join_posterior(log_likelihood)
        rows, cols = best_way(log_likelihood)
        pairs += [(before[r], after[c]) for r, c in zip(rows, cols) if posterior[r, c] >= MIN_JOIN_PROBABILITY]
    return np.array(pairs, np.int64).reshape(-1, 2)


def _open_ways(joined: JoinedFragments, unit: np.ndarray):
    """Per crossing group not every animal came through joined: (entering, leaving) original
    fragments left open and (before, after) their units (``unit``: unit of each original
    fragment); only where the open fragments end and start their units."""
    original = joined.original
    stop = np.zeros(unit.max() + 1, np.int64)
    start = np.full(unit.max() + 1, np.iinfo(np.int64).max)
    np.maximum.at(stop, unit, original.stop)
    np.minimum.at(start, unit, original.start)
    is_last, is_first = original.stop == stop[unit], original.start == start[unit]
    for group in joined.groups:
        entering, leaving = open_passages(group, unit, original)
        if len(entering) and is_last[entering].all() and is_first[leaving].all():
            yield entering, leaving, unit[entering], unit[leaving]


def unit_labels(labels: np.ndarray, unit_of: np.ndarray, units: int, protected: np.ndarray) -> np.ndarray:
    """(units,) a label per unit of fragments (``unit_of``: unit of each): its protected member's,
    else the one its labelled members agree on, else -1."""
    labelled = np.flatnonzero(labels >= 0)
    lowest = np.full(units, np.iinfo(np.int64).max)
    highest = np.full(units, -1, np.int64)
    np.minimum.at(lowest, unit_of[labelled], labels[labelled])
    np.maximum.at(highest, unit_of[labelled], labels[labelled])
    out = np.where((highest >= 0) & (lowest == highest), highest, -1).astype(np.int64)
    given = protected[labels[protected] >= 0]
    out[unit_of[given]] = labels[given]
    return out


def _without_clashes(labels: np.ndarray, coexistence: Coexistence, protected: np.ndarray) -> np.ndarray:
    """Labels with those of unprotected units that coexist with a unit of the same label dropped
    (a joined unit spans more frames than its members did)."""
    labels = labels.copy()
    keep = np.zeros(len(labels), bool)
    keep[protected] = True
    clash = [u for u in np.flatnonzero(labels >= 0)
             if not keep[u] and np.any(labels[coexistence.neighbours(u)] == labels[u])]
    labels[clash] = -1
    return labels
