"""Tracking without identities: each individual fragment gets a slot, reused when free.

Slots are given in order of fragment start, which uses exactly as many slots as the largest
number of individual fragments alive at once. Which free slot a starting fragment takes is what
keeps a slot on one animal: with a ``continuation`` score (how likely the fragment continues the
slot's last fragment, e.g. by motion) the fragments starting in one frame take the free slots
of the most likely one-to-one assignment; without one, the lowest free slot.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

import numpy as np
from scipy.optimize import linear_sum_assignment

#: (previous fragments (k,), starting fragments (m,)) -> (k, m) log-likelihood that each starting
#: fragment continues each previous one.
Continuation = Callable[[np.ndarray, np.ndarray], np.ndarray]


def assign_slots(start: np.ndarray, stop: np.ndarray, is_individual: np.ndarray,
                 continuation: Continuation | None = None) -> np.ndarray:
    """(F,) int64 slot per fragment (0-based), -1 for crossing fragments.

    Args:
        start, stop: (F,) fragment frame spans [start, stop), fragments sorted by start.
        is_individual: (F,) bool.
        continuation: scores a starting fragment against the last fragment of each free slot.
    """
    slots = np.full(len(start), -1, np.int64)
    last: dict[int, int] = {}  # slot -> its latest fragment
    free: set[int] = set()
    busy: list[tuple[int, int]] = []  # (stop, slot)
    next_new = 0
    individual = np.flatnonzero(is_individual)
    for batch in np.split(individual, np.flatnonzero(np.diff(start[individual])) + 1) if len(individual) else []:
        while busy and busy[0][0] <= start[batch[0]]:
            free.add(heapq.heappop(busy)[1])
        taken = _free_slots_taken(batch, sorted(free), last, continuation)
        for f, slot in zip(batch, taken):
            if slot < 0:
                slot, next_new = next_new, next_new + 1
            else:
                free.remove(slot)
            slots[f] = slot
            last[slot] = int(f)
            heapq.heappush(busy, (int(stop[f]), slot))
    return slots


def _free_slots_taken(batch: np.ndarray, free: list[int], last: dict[int, int],
                      continuation: Continuation | None) -> list[int]:
    """The free slot each fragment of ``batch`` (all starting in one frame) takes, -1 for a new one."""
    if not free:
        return [-1] * len(batch)
    if continuation is None or (len(free) == 1 and len(batch) == 1):
        return (free + [-1] * len(batch))[:len(batch)]
    score = continuation(np.array([last[s] for s in free], np.int64), batch)
    finite = np.isfinite(score)
    low, high = (score[finite].min(), score[finite].max()) if finite.any() else (0.0, 0.0)
    # An impossible continuation ranks below any assignment that avoids one.
    score = np.where(finite, score, low - (high - low + 1.0) * len(batch))
    rows, cols = linear_sum_assignment(-score)
    taken = [-1] * len(batch)
    for r, c in zip(rows, cols):
        taken[c] = free[r]
    return taken
