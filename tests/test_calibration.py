"""Reliability of identity probabilities: bins, the promise they make and how far it is kept."""

from __future__ import annotations

import numpy as np
import pytest
from idtracker.domain.calibration import EDGES, fragment_correlation, label_margins, reliability


def test_identities_that_are_right_as_often_as_promised_keep_the_promise_in_every_bin():
    rng = np.random.default_rng(0)
    probability = rng.choice([0.3, 0.7, 0.95, 0.995], 200_000)
    right = rng.uniform(size=probability.size) < probability
    table = reliability(probability, right)
    assert table.calibration_error < 0.01
    assert table.estimated == pytest.approx(probability.mean())
    assert table.measured == pytest.approx(right.mean())


def test_confidently_wrong_identities_break_the_promise_where_they_are_not_only_on_average():
    # a tenth of the identities given 0.99999 are wrong and the doubtful ones (0.3) all right:
    # the mean probability nearly matches the right fraction, the bins do not
    probability = np.r_[np.full(900, 0.99999), np.full(100, 0.3)]
    right = np.r_[np.arange(900) >= 90, np.ones(100, bool)]
    table = reliability(probability, right)
    assert abs(table.estimated - table.measured) < 0.07
    top, low = len(EDGES) - 2, 0
    assert table.count[top] == 900 and table.right_fraction[top] == pytest.approx(0.9)
    assert table.count[low] == 100 and table.right_fraction[low] == 1.0
    assert table.calibration_error == pytest.approx(0.9 * 0.09999 + 0.1 * 0.7, abs=1e-6)


def test_identities_without_a_probability_are_not_counted_and_a_probability_of_one_is_in_the_top_bin():
    table = reliability(np.array([[np.nan, 1.0], [0.5, np.nan]]), np.array([[False, True], [True, False]]))
    assert table.count.sum() == 2 and table.count[-1] == 1 and table.count[1] == 1
    assert np.isnan(table.mean_probability[2]) and table.measured == 1.0


def test_a_probability_on_an_edge_is_in_the_bin_that_starts_there():
    edges = list(EDGES)
    for p in (0.0, 0.5, 0.9, 0.99, 0.999, 0.9999):
        assert reliability(np.array([p]), np.array([True])).count[edges.index(p)] == 1


def test_no_identity_promises_nothing_and_a_probability_outside_zero_to_one_is_refused():
    empty = reliability(np.array([np.nan]), np.array([False]))
    assert np.isnan(empty.estimated) and np.isnan(empty.measured) and np.isnan(empty.calibration_error)
    for bad in (1.2, -0.1, np.inf):
        with pytest.raises(ValueError, match=r"\[0, 1\]"):
            reliability(np.array([bad]), np.array([True]))


def test_margins_are_the_label_over_the_best_other_identity_and_missing_without_a_label():
    log_proba = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.5, 0.25, 0.25]]))
    margin = label_margins(log_proba, np.array([0, 1, -1]))
    assert margin[0] == pytest.approx(np.log(0.7 / 0.2)) and margin[1] == pytest.approx(np.log(0.3 / 0.6))
    assert np.isnan(margin[2])


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.8])
def test_the_share_of_a_margin_that_a_fragment_shares_is_recovered(rho):
    rng = np.random.default_rng(1)
    fragments, images = 400, 30
    shared = rng.normal(0, np.sqrt(rho), fragments)  # the classifier's error on the fragment itself
    margin = 2.0 + np.repeat(shared, images) + rng.normal(0, np.sqrt(1 - rho), fragments * images)
    image_fragment = np.repeat(np.arange(fragments), images)
    assert fragment_correlation(margin, image_fragment) == pytest.approx(rho, abs=0.05)


def test_short_fragments_and_unlabelled_images_do_not_count():
    margin = np.r_[np.zeros(5), np.nan * np.ones(20), np.arange(12.0), np.arange(12.0)]
    image_fragment = np.r_[np.zeros(5, int), np.ones(20, int), np.full(12, 2), np.full(12, 3)]
    assert fragment_correlation(margin, image_fragment) == 0.0  # fragments 2 and 3 alike, nothing shared
    assert np.isnan(fragment_correlation(margin[:37], image_fragment[:37]))  # one fragment long enough
