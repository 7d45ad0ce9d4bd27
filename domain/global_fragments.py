"""Global fragments: stretches of frames where all N animals are visible and apart.

Inside such a stretch the N fragments present are N different animals, which is the label-free
supervision identification relies on (negative pairs, the first training set).
"""

from __future__ import annotations

import attrs
import numpy as np

from .coexistence import Coexistence
from .fragments import Fragments, alive_per_frame

MIN_IMAGES_TO_ACCUMULATE = 4


@attrs.frozen
class GlobalFragment:
    """A maximal run of clean frames [start, stop) that share the same N fragments.

    Attributes:
        start: first frame of the run.
        stop: frame after the last one.
        fragments: (N,) int64 fragment ids, ascending.
    """

    start: int
    stop: int
    fragments: np.ndarray


def clean_frames(blob_frame: np.ndarray, blob_is_individual: np.ndarray, number_of_frames: int,
                 number_of_animals: int) -> np.ndarray:
    """(number_of_frames,) bool: frames with exactly N blobs, all of them individuals."""
    counts = np.bincount(blob_frame, minlength=number_of_frames)
    crossings = np.bincount(blob_frame[~blob_is_individual], minlength=number_of_frames)
    return (counts == number_of_animals) & (crossings == 0)


def build_global_fragments(blob_frame: np.ndarray, fragments: Fragments, number_of_frames: int,
                           number_of_animals: int) -> list[GlobalFragment]:
    """All global fragments, in time order (none when N is unknown)."""
    if number_of_animals <= 0 or len(blob_frame) == 0:
        return []
    individual = fragments.is_individual[fragments.of_blob]
    clean = clean_frames(blob_frame, individual, number_of_frames, number_of_animals)
    frames = np.flatnonzero(clean)
    if len(frames) == 0:
        return []
    blob_clean = clean[blob_frame]
    order = np.lexsort((fragments.of_blob[blob_clean], blob_frame[blob_clean]))
    rows = fragments.of_blob[blob_clean][order].reshape(len(frames), number_of_animals)
    same = np.zeros(len(frames), bool)
    same[1:] = (np.diff(frames) == 1) & np.all(rows[1:] == rows[:-1], axis=1)
    starts = np.flatnonzero(~same)
    stops = np.concatenate([starts[1:], [len(frames)]])
    return [GlobalFragment(int(frames[a]), int(frames[b - 1]) + 1, rows[a].copy()) for a, b in zip(starts, stops)]


def is_accumulable(global_fragment: GlobalFragment, fragments: Fragments) -> bool:
    """A global fragment can seed training when its shortest fragment has enough images."""
    return bool(fragments.n_images[global_fragment.fragments].min() >= MIN_IMAGES_TO_ACCUMULATE)


def first_global_fragment(accumulable: list[GlobalFragment], fragments: Fragments) -> GlobalFragment:
    """The one whose shortest fragment is longest (earliest on ties): the surest first N labels."""
    return max(accumulable, key=lambda g: (fragments.n_images[g.fragments].min(), -g.start))


def long_fragments(fragments: Fragments) -> np.ndarray:
    """Ids of the individual fragments with enough images to learn from and to be judged on."""
    return np.flatnonzero(fragments.is_individual & (fragments.n_images >= MIN_IMAGES_TO_ACCUMULATE))


def reachable_ratio(global_fragments: list[GlobalFragment], fragments: Fragments) -> float:
    """Largest fraction of the long individual fragments' images that global fragments can label.

    Labels that come from placing global fragments one-to-one can never cover more: with many
    animals few frames show them all apart, and this is far below any useful ratio.
    """
    long = long_fragments(fragments)
    members = [g.fragments for g in global_fragments if is_accumulable(g, fragments)]
    if not members or not len(long):
        return 0.0
    covered = np.isin(long, np.concatenate(members))
    return float(fragments.n_images[long[covered]].sum() / fragments.n_images[long].sum())


def fragment_connectivity(fragments: Fragments, number_of_animals: int) -> float:
    """Mean share of the other N - 1 animals each long individual fragment coexists with (idtracker.ai's
    ``fragment_connectivity``): low values mean few negative pairs and few global fragments, so
    identities are learnt from little; idtracker.ai warns below 0.5."""
    long = long_fragments(fragments)
    if len(long) == 0 or number_of_animals < 2:
        return 0.0
    pairs = len(Coexistence.of(fragments.start, fragments.stop, long).indices)
    return float(pairs / (len(long) * (number_of_animals - 1)))


def widest_partial_global_fragment(fragments: Fragments) -> GlobalFragment | None:
    """Where no stretch shows all N animals apart: the frame where most long individual fragments
    are alive (ties: the one whose shortest is longest, then the earliest), as a one-frame global
    fragment of k < N fragments. They share that frame, so they are k different animals: the
    labels for free that identification starts from. None when no long individual fragment exists."""
    long = long_fragments(fragments)
    if len(long) == 0:
        return None
    alive = alive_per_frame(fragments.start[long], fragments.stop[long], 0, int(fragments.stop[long].max()))
    best_frames = np.flatnonzero(alive == alive.max())
    best_key, best = None, None
    for frame in best_frames:
        members = long[(fragments.start[long] <= frame) & (fragments.stop[long] > frame)]
        key = (int(fragments.n_images[members].min()), -int(frame))
        if best_key is None or key > best_key:
            best_key, best = key, GlobalFragment(int(frame), int(frame) + 1, np.sort(members))
    return best
