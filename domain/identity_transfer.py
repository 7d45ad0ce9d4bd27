"""Which previous identity each of this session's identities is: votes of a previous model, matched one to one.

A previous session's model scores images of this session; every image of identity k votes for
the previous identity it scores highest. The one-to-one matching that collects the most votes
(Hungarian) names the identities; each match's agreement is the share of k's images that voted
for it. Used by knowledge transfer (a model scores a new session) and idmatcher.ai (two sessions'
models score each other's images).
"""

from __future__ import annotations

import attrs
import numpy as np
from scipy.optimize import linear_sum_assignment

#: Agreement every match needs for a transfer to be trusted: more than half of an identity's
#: images vote for its match, so no other previous identity can hold as many of its votes. A
#: looser bar would accept matches decided by a plurality of a confused model (the seed warns:
#: conditions must be nearly identical).
MIN_AGREEMENT = 0.5


@attrs.frozen
class IdentityMatch:
    """``match[k]``: the previous identity (0-based) of this session's identity k; ``agreement[k]``
    the share of k's images that voted for it; ``votes`` (N, M) the row-normalised vote table."""

    match: np.ndarray
    agreement: np.ndarray
    votes: np.ndarray

    @property
    def succeeded(self) -> bool:
        """Every identity matched, each by a majority of its images."""
        return bool(len(self.agreement)) and bool((self.agreement > MIN_AGREEMENT).all())

    @property
    def quality(self) -> float:
        """The weakest match's agreement: the transfer is as good as its worst identity."""
        return float(self.agreement.min()) if len(self.agreement) else 0.0


def vote_table(image_identity: np.ndarray, log_proba: np.ndarray, n: int) -> np.ndarray:
    """(n, M) share of each identity's images whose best-scored previous identity is each column.

    Args:
        image_identity: (m,) this session's identity (0-based) of each scored image.
        log_proba: (m, M) the previous model's log-probabilities of those images.
        n: this session's number of identities.
    """
    votes = np.zeros((n, log_proba.shape[1]))
    if len(image_identity):
        np.add.at(votes, (image_identity, log_proba.argmax(1)), 1.0)
    return votes / np.maximum(votes.sum(1, keepdims=True), 1.0)


def match_identities(votes: np.ndarray) -> IdentityMatch:
    """The one-to-one matching of rows to columns with the most votes; needs as many columns as rows."""
    n, m = votes.shape
    if m < n:
        raise ValueError(f"{n} identities cannot be matched one to one with {m}")
    rows, cols = linear_sum_assignment(-votes)
    match = np.empty(n, np.int64)
    match[rows] = cols
    return IdentityMatch(match, votes[np.arange(n), match], votes)


def sample_per_identity(image_identity: np.ndarray, n: int, per_identity: int, seed: int = 0) -> np.ndarray:
    """Indices of at most ``per_identity`` images of each identity (0..n-1), drawn evenly at random:
    enough votes to name an identity without scoring every image of a long video."""
    rng = np.random.default_rng(seed)
    chosen = []
    for k in range(n):
        members = np.flatnonzero(image_identity == k)
        if len(members) > per_identity:
            members = np.sort(rng.choice(members, per_identity, replace=False))
        chosen.append(members)
    return np.concatenate(chosen) if chosen else np.zeros(0, np.int64)
