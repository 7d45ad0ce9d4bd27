"""Correcting identities that would make an animal jump faster than animals move.

The speed limit is twice the 99th percentile of the frame-to-frame speeds seen inside individual
fragments (where identity is certain). When consecutive fragments of one identity are further
apart than that limit allows, the less certain of the two is suspect: it moves to another identity that is
free at that time, reachable without a jump and not ruled out by its images, if there is one.
"""

from __future__ import annotations

import numpy as np

from .coexistence import Coexistence
from .fragments import Fragments

SPEED_PERCENTILE = 99
SPEED_FACTOR = 2.0
MAX_PASSES = 5
#: How much worse (summed log-likelihood) an alternative identity may be and still be taken.
EVIDENCE_MARGIN = 3.0


def fragment_ends(fragments: Fragments, centroid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(F, 2) first and (F, 2) last position of each fragment."""
    first = centroid[fragments.first_blobs]
    last = centroid[fragments.last_blobs]
    return first, last


def speed_limit(fragments: Fragments, centroid: np.ndarray) -> float:
    """Pixels per frame no animal plausibly exceeds (inf if there is nothing to learn it from)."""
    ordered = centroid[fragments.blob_order]
    same = fragments.of_blob[fragments.blob_order]
    step = (same[1:] == same[:-1]) & fragments.is_individual[same[1:]]
    speeds = np.linalg.norm(np.diff(ordered, axis=0), axis=1)[step]
    return float(SPEED_FACTOR * np.percentile(speeds, SPEED_PERCENTILE)) if len(speeds) else np.inf


def _jump_speed(fragments: Fragments, first: np.ndarray, last: np.ndarray, a: int, b: int) -> float:
    """Speed needed to go from the end of fragment a to the start of the later fragment b."""
    if fragments.start[b] < fragments.start[a]:
        a, b = b, a
    frames = max(int(fragments.start[b] - fragments.stop[a]) + 1, 1)
    return float(np.linalg.norm(first[b] - last[a]) / frames)


def _neighbours_in_time(labels: np.ndarray, fragments: Fragments, identity: int, f: int) -> list[int]:
    """The fragments of ``identity`` just before and just after fragment f."""
    own = np.flatnonzero(labels == identity)
    own = own[own != f]
    before = own[fragments.stop[own] <= fragments.start[f]]
    after = own[fragments.start[own] >= fragments.stop[f]]
    out = []
    if len(before):
        out.append(int(before[np.argmax(fragments.stop[before])]))
    if len(after):
        out.append(int(after[np.argmin(fragments.start[after])]))
    return out


def _reachable(labels, fragments, first, last, identity, f, limit) -> bool:
    return all(_jump_speed(fragments, first, last, f, g) <= limit
               for g in _neighbours_in_time(labels, fragments, identity, f))


def correct_impossible_jumps(labels: np.ndarray, probability: np.ndarray, evidence: np.ndarray,
                             fragments: Fragments, centroid: np.ndarray, coexistence: Coexistence,
                             limit: float) -> tuple[np.ndarray, int]:
    """Labels with impossible jumps resolved, and how many fragments changed.

    Args:
        labels: (F,) 0-based identities (-1 none).
        probability: (F,) certainty of each label; the less certain fragment of a jump moves.
        evidence: (F, N) fragment evidence, to rank alternative identities.
        fragments: the session's fragments.
        centroid: (n_blobs, 2) blob positions.
        coexistence: adjacency between individual fragments.
        limit: speed limit in pixels per frame.
    """
    labels = labels.copy()
    first, last = fragment_ends(fragments, centroid)
    changed = 0
    for _ in range(MAX_PASSES):
        moved = 0
        for identity in np.unique(labels[labels >= 0]):
            own = np.flatnonzero(labels == identity)
            own = own[np.argsort(fragments.start[own], kind="stable")]
            for a, b in zip(own[:-1], own[1:]):
                if labels[a] != identity or labels[b] != identity:
                    continue
                if _jump_speed(fragments, first, last, int(a), int(b)) <= limit:
                    continue
                victim = int(a if probability[a] < probability[b] else b)
                for f, new in _best_alternative(labels, evidence, fragments, first, last, coexistence,
                                                victim, int(identity), limit).items():
                    labels[f] = new
                    moved += 1
        changed += moved
        if not moved:
            break
    return labels, changed


def _best_alternative(labels, evidence, fragments, first, last, coexistence, f, current, limit) -> dict[int, int]:
    """New labels: f moves to the best free reachable identity, or swaps with the one coexisting
    fragment holding it when both then move without a jump (the usual error after a crossing).
    Only identities the images do not clearly rule out (within ``EVIDENCE_MARGIN``) are tried:
    animals do sprint, and a jump alone must not overrule what the images say."""
    neighbours = coexistence.neighbours(f)
    for candidate in np.argsort(-evidence[f]):
        candidate = int(candidate)
        if candidate == current:
            continue
        if evidence[f, candidate] < evidence[f, current] - EVIDENCE_MARGIN:
            break
        holders = neighbours[labels[neighbours] == candidate]
        if len(holders) == 0 and _reachable(labels, fragments, first, last, candidate, f, limit):
            return {f: candidate}
        if len(holders) == 1:
            g = int(holders[0])
            swapped = labels.copy()
            swapped[f], swapped[g] = candidate, current
            if (evidence[g, current] >= evidence[g, candidate] - EVIDENCE_MARGIN
                    and not np.any(swapped[coexistence.neighbours(g)] == current)
                    and _reachable(swapped, fragments, first, last, candidate, f, limit)
                    and _reachable(swapped, fragments, first, last, current, g, limit)):
                return {f: candidate, g: current}
    return {}
