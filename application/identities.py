"""Giving every blob an identity (1-based; 0 = none) once fragments are known."""

from __future__ import annotations

from functools import partial

import numpy as np
from idtracker.domain.fragments import Fragments
from idtracker.domain.motion import FragmentEnds, MotionModel, join_log_likelihood
from idtracker.domain.slots import Continuation, assign_slots


def identities_without_identification(fragments: Fragments, model: MotionModel | None = None,
                                      ends: FragmentEnds | None = None) -> tuple[np.ndarray, int]:
    """Slot identities consistent within each individual fragment; crossings get 0. With this
    video's motion (``model`` and the fragments' ``ends``) a fragment takes the free slot whose
    last fragment it most likely continues: the slot follows the animal through what the joins
    left open (a crossing too crowded to solve, an animal lost for longer than a crossing).

    Returns:
        (n_blobs,) int64 identities and the number of slots used.
    """
    continuation: Continuation | None = (None if model is None or ends is None
                                         else partial(join_log_likelihood, model, ends))
    slots = assign_slots(fragments.start, fragments.stop, fragments.is_individual, continuation)
    n_slots = int(slots.max()) + 1 if len(slots) and slots.max() >= 0 else 0
    return slots[fragments.of_blob] + 1, n_slots


def identities_single_animal(number_of_blobs: int) -> np.ndarray:
    """With one animal every blob is that animal: identity 1, no network needed."""
    return np.ones(number_of_blobs, np.int64)
