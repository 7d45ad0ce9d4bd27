"""Joining fragments through crossings by motion, before anything is identified.

Identification, the crossings solver and tracking without identities all decide on the joined
fragments (tracklets); the fragments themselves stay as segmented for the output files.
"""

from __future__ import annotations

import time

import attrs
import numpy as np
from idtracker.domain.blobs import BlobTable
from idtracker.domain.coexistence import Coexistence
from idtracker.domain.crossing_groups import CrossingGroup, crossing_groups
from idtracker.domain.fragments import Fragments
from idtracker.domain.motion import (FragmentEnds, MotionModel, calibrated, carried_velocities, fragment_ends,
                                     learn_motion)
from idtracker.domain.tracklets import gap_joins, join_fragments, most_likely_joins, sure_joins, tracklet_groups

from . import events as ev
from .ports import EventSink
from .segmentation import SegmentedVideo

#: Posterior a join needs to be made (one wrong join mixes two animals in one tracklet until the
#: looks of its fragments overturn it, ``revised_joins``). On seven bench videos (8-30 animals,
#: look-alikes, small, compressed; about 1,000 most likely joins through crossings) none at 0.9999 or
#: more was wrong (about 650), 2 of 43 between 0.999 and 0.9999 were (20 animals) and 2 of 22 between
#: 0.99 and 0.999. Again with ``bench/motion_ways.py`` on 26 tracked bench sessions (2,425 ways
#: through crossings of 2-6 animals the ground truth names): 2 of 1,858 at 0.9999 or more were wrong
#: (one crossing of the crowded tank, seed 7, whose two ~360 px2 blobs, an animal and part of another
#: where one measures ~270, the Gaussian size term then matched); between 0.99 and 0.9999, 5 of 296
#: against 0.6 expected, all in crossings of 8 frames or more. With the heavy-tailed size term
#: (``motion.pair_log_likelihood``), on 47 sessions (those 26, 50 and 100 animals, 8_long, the small
#: look-alikes on seeds 3-8): 0 of 5,637 at 0.9999 or more, 6 of 939 between 0.99 and 0.9999.
MIN_JOIN_PROBABILITY = 0.9999
#: Posterior a join through a crossing needs for a one-frame fragment to take its velocity from
#: it (``carried_velocities``). On the 12 bench videos captured for fusion (976 joins through
#: crossings of 2-6 animals), the most likely ways were right for 941 joins before and 945 after,
#: and the log-loss of the right ways fell 134.8 -> 111.0; bars of 0.9, 0.999 and 0.9999 gave
#: 945-947 and 108.6-110.1: the bar matters little there. 0.99 rather than 0.999 was chosen for
#: one join of 8_lookalike_s2 (0.994), which alone decided a crossing of two look-alikes.
MIN_CARRY_PROBABILITY = 0.99


@attrs.frozen
class JoinedFragments:
    """Tracklets and the crossings between them.

    Attributes:
        fragments: the tracklets, as fragments (ids sorted by first frame).
        crossings: crossing groups in tracklet ids (those all joined through are dropped).
        tracklet: (F,) tracklet of every original fragment.
        original: the fragments as segmented.
        groups: the crossing groups in original fragment ids.
        model: this video's motion, calibrated on its crossings (None: not learnt).
        ends: the original fragments' motion at their ends (None with no model).
        blobs: the blobs the fragments are made of.
        max_gap: frames a gap may last (``_longest_hiding``).
    """

    fragments: Fragments
    crossings: list[CrossingGroup]
    tracklet: np.ndarray
    original: Fragments
    groups: list[CrossingGroup]
    model: MotionModel | None = None
    ends: FragmentEnds | None = None
    blobs: BlobTable | None = None
    max_gap: int = 2

    def coexistence(self, unit: np.ndarray | None = None, units: int | None = None) -> Coexistence:
        """Which tracklets (or units of them: ``unit`` of each tracklet, ``units`` in all) are
        alive at once, by the frames of their fragments: a tracklet is not alive in the gaps it was
        joined across (``Coexistence.of_parts``)."""
        owner = self.tracklet if unit is None else unit[self.tracklet]
        count = len(self.fragments.start) if units is None else units
        return Coexistence.of_parts(self.original.start, self.original.stop,
                                    np.flatnonzero(self.original.is_individual), owner, count)


def join_by_motion(fragments: Fragments, segmented: SegmentedVideo, events: EventSink,
                   min_probability: float = MIN_JOIN_PROBABILITY, number_of_animals: int = 0) -> JoinedFragments:
    """Tracklets from the joins whose motion posterior reaches ``min_probability``: through the
    crossings first, then across the gaps that are left (0: the most likely joins everywhere,
    for tracking without identities, where nothing would correct a wrong one anyway).
    ``number_of_animals`` (0: unknown) tells the crossing groups where a blob taken for a
    crossing must be one animal (``crossing_groups``)."""
    t0 = time.perf_counter()
    blobs = segmented.blobs
    groups = crossing_groups(fragments, segmented.links, number_of_animals)
    model = learn_motion(fragments, blobs.centroid, blobs.area)
    if model is None:
        events.publish(ev.FragmentsJoinedByMotion(len(groups), 0, 0, int(fragments.is_individual.sum()),
                                                  min_probability, False, time.perf_counter() - t0))
        return JoinedFragments(fragments, groups, np.arange(len(fragments)), fragments, groups)
    ends = fragment_ends(fragments, blobs.centroid, blobs.area)
    likely = most_likely_joins(groups, model, ends)
    model = calibrated(model, ends, likely[:, 0], likely[:, 1])
    judged = [sure_joins([group], model, ends, MIN_CARRY_PROBABILITY) for group in groups]
    carriers = _carrying_joins(groups, judged, ends)
    carried = carried_velocities(ends, carriers[:, 0], carriers[:, 1])
    crossing_pairs = _sure_pairs(groups, judged, model, ends, carried, min_probability)
    ends = carried
    joined, tracklet = join_fragments(fragments, crossing_pairs)
    max_gap = _longest_hiding(fragments)
    gap_pairs, _ = gap_joins(joined, model, fragment_ends(joined, blobs.centroid, blobs.area), max_gap, min_probability)
    joined, second = join_fragments(joined, gap_pairs)
    tracklet = second[tracklet]
    events.publish(ev.FragmentsJoinedByMotion(len(groups), len(crossing_pairs), len(gap_pairs),
                                              int(joined.is_individual.sum()), min_probability, True,
                                              time.perf_counter() - t0))
    return JoinedFragments(joined, tracklet_groups(groups, tracklet, fragments), tracklet, fragments, groups, model,
                           ends, blobs, max_gap)


def _carrying_joins(groups: list[CrossingGroup], judged: list[tuple[np.ndarray, np.ndarray]],
                    ends: FragmentEnds) -> np.ndarray:
    """(k, 2) sure joins (``MIN_CARRY_PROBABILITY``) one-frame fragments may take a velocity from,
    from each group's ``judged`` joins and posteriors (``sure_joins`` at that bar, on the fragments'
    own ends). A one-frame fragment that leaves a group and enters it again takes none from that
    group's joins where it has one each way: each would be judged again with the velocity the other
    gave it, the group's first answer confirming itself."""
    pairs = []
    for group, (joins, _) in zip(groups, judged):
        both_ways = [f for f in np.intersect1d(group.entering, group.leaving)
                     if not np.isfinite(ends.last_velocity[f, 0]) and f in joins[:, 0] and f in joins[:, 1]]
        pairs.append(joins[~np.isin(joins, both_ways).any(1)])
    return np.concatenate(pairs + [np.zeros((0, 2), np.int64)])


def _sure_pairs(groups: list[CrossingGroup], judged: list[tuple[np.ndarray, np.ndarray]], model: MotionModel,
                ends: FragmentEnds, carried: FragmentEnds, min_probability: float) -> np.ndarray:
    """(k, 2) the joins whose posterior on the ``carried`` ends reaches ``min_probability``.
    A group none of whose fragments took a velocity has the same ways as when it was ``judged``
    (at ``MIN_CARRY_PROBABILITY``): its joins above the bar are taken from there instead of being
    judged again (most groups; judging them all twice tripled the joins' time on 8_lookalike)."""
    if min_probability < MIN_CARRY_PROBABILITY:  # the judged joins hold only the pairs above that bar
        return sure_joins(groups, model, carried, min_probability)[0]
    changed = ~(_same(ends.first_velocity, carried.first_velocity) & _same(ends.last_velocity, carried.last_velocity))
    pairs = []
    for group, (joins, probability) in zip(groups, judged):
        if changed[group.entering].any() or changed[group.leaving].any():
            joins, probability = sure_joins([group], model, carried, min_probability)
        pairs.append(joins[probability >= min_probability])
    return np.concatenate(pairs + [np.zeros((0, 2), np.int64)])


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per row, whether two (F, 2) arrays hold the same values (NaN equal to NaN)."""
    return ((a == b) | (np.isnan(a) & np.isnan(b))).all(1)


def _longest_hiding(fragments: Fragments) -> int:
    """Frames a gap may last: as long as this video's longest crossing fragment (at least 2)."""
    crossing = ~fragments.is_individual
    return int(max((fragments.stop - fragments.start)[crossing].max(initial=0), 2))
