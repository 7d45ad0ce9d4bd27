"""idmatcher.ai's matching of two sessions' identities from how each one's model names the other's images.

Direct counts: images of the matching session, identity i, that the master's model calls master
identity j. Indirect counts: images of the master, identity j, that the matching session's model
calls i (transposed, so rows are the matching session's identities in both). Both ask the same
question through different models, so their sum (joined) is matched one to one (Hungarian). With
unequal numbers of animals only the table whose model knows every row's candidates is used: the
indirect one when the matching session has more animals, the direct one when it has fewer.
"""

from __future__ import annotations

import attrs
import numpy as np
from scipy.optimize import linear_sum_assignment


@attrs.frozen
class SessionMatch:
    """(n_matching, n_master) count tables and, per matching identity (0-based), its master identity
    (0-based, -1 when unmatched) with its direct and indirect scores."""

    direct: np.ndarray
    indirect: np.ndarray
    joined: np.ndarray
    assignment: np.ndarray
    direct_score: np.ndarray
    indirect_score: np.ndarray

    @property
    def agreement(self) -> float:
        """Share of the joined counts that fall on the assignment."""
        rows = np.flatnonzero(self.assignment >= 0)
        total = self.joined.sum()
        return float(self.joined[rows, self.assignment[rows]].sum() / total) if total else 0.0


def count_table(identity: np.ndarray, predicted: np.ndarray, n_rows: int, n_cols: int) -> np.ndarray:
    """(n_rows, n_cols) number of images of each identity (rows) given each predicted identity (columns)."""
    table = np.zeros((n_rows, n_cols))
    np.add.at(table, (identity, predicted), 1.0)
    return table


def row_scores(table: np.ndarray, assignment: np.ndarray) -> np.ndarray:
    """Per row: (count at the assigned column - the best other column) / the row's largest count; 1 is
    unanimous, 0 a tie, negative a row whose own model prefers another identity. NaN when unmatched or empty."""
    scores = np.full(len(table), np.nan)
    for row, col in enumerate(assignment):
        if col < 0 or not table[row].max() > 0:
            continue
        others = np.delete(table[row], col)
        best_other = others.max() if len(others) else 0.0
        scores[row] = (table[row, col] - best_other) / table[row].max()
    return scores


def match_sessions(direct: np.ndarray, indirect: np.ndarray) -> SessionMatch:
    """Match the matching session's identities (rows) to the master's (columns), as the module says."""
    n_matching, n_master = direct.shape
    joined = direct + indirect
    table = joined if n_matching == n_master else (indirect if n_matching > n_master else direct)
    rows, cols = linear_sum_assignment(-table)
    assignment = np.full(n_matching, -1, np.int64)
    assignment[rows] = cols
    return SessionMatch(direct, indirect, joined, assignment, row_scores(direct, assignment),
                        row_scores(indirect, assignment))
