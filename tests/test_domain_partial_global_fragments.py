"""Where no stretch shows all animals apart: the partial global fragment and the fragment connectivity."""

import numpy as np
import pytest
from idtracker.domain.fragments import build_fragments
from idtracker.domain.global_fragments import (
    build_global_fragments,
    fragment_connectivity,
    is_accumulable,
    widest_partial_global_fragment,
)


def _tracks(spans: list[tuple[int, int]]):
    """Fragments of one blob per frame for each [start, stop) span (each span one animal, never linked to another)."""
    frame = np.concatenate([np.arange(a, b) for a, b in spans])
    blob = np.arange(len(frame))
    first = np.cumsum([0] + [b - a for a, b in spans])[:-1]
    inside = ~np.isin(blob + 1, np.append(first[1:], len(frame)))
    links = np.column_stack([blob[inside], blob[inside] + 1])
    return frame, build_fragments(frame, links, np.ones(len(frame), bool))


def test_frame_with_most_long_fragments_stands_in_for_a_global_fragment():
    # 3 animals, never all apart: two long tracks overlap 10..20, the third lives 25..40 alongside one of them.
    frame, fragments = _tracks([(0, 20), (10, 30), (25, 40), (32, 34)])
    assert not any(is_accumulable(g, fragments) for g in build_global_fragments(frame, fragments, 40, 3))
    partial = widest_partial_global_fragment(fragments)
    assert len(partial.fragments) == 2 and partial.stop == partial.start + 1
    # Of the frames with two long fragments alive, the one whose shortest fragment is longest: 10..20
    # (20 and 20 images) beats 25..30 (20 and 15).
    assert set(partial.fragments) == {0, 1} and 10 <= partial.start < 20


def test_no_long_fragment_means_no_partial_global_fragment():
    _, fragments = _tracks([(0, 3), (5, 7)])
    assert widest_partial_global_fragment(fragments) is None


def test_connectivity_is_the_share_of_other_animals_each_long_fragment_meets():
    _, fragments = _tracks([(0, 20), (10, 30), (25, 40)])
    # Long fragments 0-1 and 1-2 coexist: 4 ordered pairs over 3 fragments x 2 other animals.
    assert fragment_connectivity(fragments, 3) == pytest.approx(4 / 6)
    _, apart = _tracks([(0, 10), (0, 10), (0, 10)])
    assert fragment_connectivity(apart, 3) == pytest.approx(1.0)
