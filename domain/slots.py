"""Tracking without identities: each individual fragment gets a slot, reused when free.

Slots are given greedily in order of fragment start (lowest free slot first), which uses exactly
as many slots as the largest number of individual fragments alive at once.
"""

from __future__ import annotations

import heapq

import numpy as np


def assign_slots(start: np.ndarray, stop: np.ndarray, is_individual: np.ndarray) -> np.ndarray:
    """(F,) int64 slot per fragment (0-based), -1 for crossing fragments.

    Args:
        start, stop: (F,) fragment frame spans [start, stop), fragments sorted by start.
        is_individual: (F,) bool.
    """
    slots = np.full(len(start), -1, np.int64)
    free: list[int] = []
    busy: list[tuple[int, int]] = []  # (stop, slot)
    next_new = 0
    for f in np.flatnonzero(is_individual):
        while busy and busy[0][0] <= start[f]:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            slot = heapq.heappop(free)
        else:
            slot, next_new = next_new, next_new + 1
        slots[f] = slot
        heapq.heappush(busy, (int(stop[f]), slot))
    return slots
