"""Joining fragments through crossings by motion, before anything is identified.

Identification, the crossings solver and tracking without identities all decide on the joined
fragments (tracklets); the fragments themselves stay as segmented for the output files.
"""

from __future__ import annotations

import time

import attrs
import numpy as np
from idtracker.domain.crossing_groups import CrossingGroup, crossing_groups
from idtracker.domain.fragments import Fragments
from idtracker.domain.motion import fragment_ends, learn_motion
from idtracker.domain.tracklets import join_fragments, sure_joins, tracklet_groups

from . import events as ev
from .ports import EventSink
from .segmentation import SegmentedVideo

#: Posterior a join needs to be made. On the bench's rendered videos (8-30 animals, look-alikes,
#: small and compressed animals; about 500 crossings) every most-likely join above 0.9 was right,
#: and 0.5-0.9 ones were right on 60-100 %: 0.99 leaves a margin for motion less regular than
#: the renderer's, since one wrong join mixes two animals in one tracklet.
MIN_JOIN_PROBABILITY = 0.99


@attrs.frozen
class JoinedFragments:
    """Tracklets and the crossings between them.

    Attributes:
        fragments: the tracklets, as fragments (ids sorted by first frame).
        crossings: crossing groups in tracklet ids (those all joined through are dropped).
        tracklet: (F,) tracklet of every original fragment.
    """

    fragments: Fragments
    crossings: list[CrossingGroup]
    tracklet: np.ndarray


def join_by_motion(fragments: Fragments, segmented: SegmentedVideo, events: EventSink) -> JoinedFragments:
    """Tracklets from the joins whose motion posterior reaches ``MIN_JOIN_PROBABILITY``."""
    t0 = time.perf_counter()
    blobs = segmented.blobs
    groups = crossing_groups(fragments, segmented.links)
    model = learn_motion(fragments, blobs.centroid, blobs.area)
    joins = np.zeros((0, 2), np.int64)
    if model is not None and groups:
        joins, _ = sure_joins(groups, model, fragment_ends(fragments, blobs.centroid, blobs.area), MIN_JOIN_PROBABILITY)
    joined, tracklet = join_fragments(fragments, joins)
    events.publish(ev.FragmentsJoinedByMotion(len(groups), len(joins), int(joined.is_individual.sum()),
                                              MIN_JOIN_PROBABILITY, model is not None, time.perf_counter() - t0))
    return JoinedFragments(joined, tracklet_groups(groups, tracklet), tracklet)
