"""idmatcher.ai's matching of two sessions' identities from the two count tables."""

from __future__ import annotations

import numpy as np
import pytest

from idtracker.domain.session_matching import count_table, match_sessions, row_scores


def test_joined_counts_match_each_identity_and_score_how_clear_it_was():
    truth = np.array([2, 0, 1])  # identity i of this session is master identity truth[i]
    direct = count_table(np.repeat(np.arange(3), 10), np.repeat(truth, 10), 3, 3)
    direct[0] = [3, 0, 7]  # identity 1: seven of ten images say master 3, three say master 1
    indirect = count_table(np.repeat(np.arange(3), 10), np.repeat(np.argsort(truth), 10), 3, 3).T
    match = match_sessions(direct, indirect)
    assert match.assignment.tolist() == truth.tolist()
    assert match.direct_score.tolist() == pytest.approx([4 / 7, 1.0, 1.0])
    assert match.indirect_score.tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert match.agreement == pytest.approx(57 / 60)


def test_with_more_animals_than_the_master_the_indirect_counts_decide():
    direct = np.array([[5.0, 0], [5.0, 0], [0, 5.0]])  # the master's model calls identities 1 and 2 "1"
    indirect = np.array([[0.0, 0], [9.0, 0], [0, 9.0]])  # this session's model knows master 1 is identity 2
    match = match_sessions(direct, indirect)
    assert match.assignment.tolist() == [-1, 0, 1]
    assert np.isnan(match.direct_score[0])


def test_a_row_whose_model_prefers_another_identity_scores_below_zero():
    assert row_scores(np.array([[2.0, 8.0]]), np.array([0]))[0] == pytest.approx(-0.75)
