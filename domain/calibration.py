"""How far the identity probabilities a session reports can be trusted: reliability by probability.

``estimated_accuracy`` is the image-weighted mean of the identities' probabilities, so it is right
on average only when, among the identities given probability p, a fraction p is right. A session
can meet its estimate by luck (confidently wrong identities cancelling doubtful right ones) and miss
it for a reason its mean cannot show; the reliability table shows which: identities (one per
identified position, say) binned by the probability they were given, each bin's right fraction
beside its mean probability. The bins are finest near 1, where most identities lie and where a
wrong one costs the promise most.
"""

from __future__ import annotations

import attrs
import numpy as np

#: Bin edges: the doubtful half, then ever closer to certainty (each bin 10x nearer 1 than the last).
EDGES = np.array([0.0, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0])


@attrs.frozen
class Reliability:
    """Identities binned by the probability they were given.

    Attributes:
        edges: (B + 1,) bin edges; bin b holds edges[b] <= p < edges[b + 1], the last one p = 1 too.
        count: (B,) identities in each bin.
        mean_probability: (B,) their mean probability (NaN where empty).
        right_fraction: (B,) the fraction of them that is right (NaN where empty).
    """

    edges: np.ndarray
    count: np.ndarray
    mean_probability: np.ndarray
    right_fraction: np.ndarray

    @property
    def estimated(self) -> float:
        """The mean probability over all binned identities (NaN if none): what they promise, the
        counterpart of ``estimated_accuracy`` over whatever the identities are (positions, images)."""
        filled = self.count > 0
        return float(np.sum(self.mean_probability[filled] * self.count[filled]) / self.count.sum()) if filled.any() \
            else float("nan")

    @property
    def measured(self) -> float:
        """The fraction of all binned identities that is right (NaN if none)."""
        filled = self.count > 0
        return float(np.sum(self.right_fraction[filled] * self.count[filled]) / self.count.sum()) if filled.any() \
            else float("nan")

    @property
    def calibration_error(self) -> float:
        """Expected calibration error: the count-weighted mean |right fraction - mean probability|
        over the bins. Zero only when every bin keeps its promise, not only their mean."""
        filled = self.count > 0
        gap = np.abs(self.right_fraction[filled] - self.mean_probability[filled])
        return float(np.sum(gap * self.count[filled]) / self.count.sum()) if filled.any() else float("nan")


def reliability(probability: np.ndarray, right: np.ndarray, edges: np.ndarray = EDGES) -> Reliability:
    """The reliability table of identities given ``probability`` (NaN: none given, not counted) and
    ``right`` (bool, same shape): whether each is the animal's.

    Raises:
        ValueError: a probability outside [0, 1] (infinite included).
    """
    probability, right = np.ravel(np.asarray(probability, float)), np.ravel(right)
    kept = ~np.isnan(probability)
    probability, right = probability[kept], right[kept]
    if np.any((probability < 0) | (probability > 1)):
        raise ValueError("identity probabilities must lie in [0, 1]")
    bins = np.clip(np.searchsorted(edges, probability, side="right") - 1, 0, len(edges) - 2)
    count = np.bincount(bins, minlength=len(edges) - 1)
    with np.errstate(invalid="ignore"):
        mean_probability = np.bincount(bins, probability, len(edges) - 1) / count
        right_fraction = np.bincount(bins, right.astype(float), len(edges) - 1) / count
    return Reliability(np.asarray(edges, float), count, mean_probability, right_fraction)


#: Images a fragment needs for its own mean and spread to count in ``fragment_correlation``.
MIN_FRAGMENT_IMAGES = 10


def label_margins(log_proba: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(n,) how far each image's log-probability of its label lies above the best other identity's,
    from (n, N) ``log_proba`` and (n,) 0-based ``labels`` (NaN where a label is negative)."""
    rows = np.arange(len(labels))
    given = np.maximum(labels, 0)
    others = np.array(log_proba, float, copy=True)
    others[rows, given] = -np.inf
    margin = log_proba[rows, given] - others.max(1)
    return np.where(labels >= 0, margin, np.nan)


def fragment_correlation(margin: np.ndarray, image_fragment: np.ndarray,
                         min_images: int = MIN_FRAGMENT_IMAGES) -> float:
    """The share of the images' margins' variance that all images of a fragment share (one-way
    random-effects intraclass correlation, from fragments of ``min_images`` or more; NaN with fewer
    than two such fragments).

    Why it matters: a fragment's images differ by noise that averages out, but the classifier's
    error on the fragment itself (its pose, its light, its look-alike) is the same on all of them.
    Summed evidence then grows with the images while what it says does not: with correlation rho,
    n images are worth n / (1 + (n - 1) rho) independent looks, at most 1 / rho however long the
    fragment. The autocorrelation time along a fragment cannot see this part, since it is measured
    around the fragment's own mean.
    """
    kept = ~np.isnan(margin)
    margin, image_fragment = margin[kept], image_fragment[kept]
    fragments, inverse, count = np.unique(image_fragment, return_inverse=True, return_counts=True)
    total = np.bincount(inverse, margin)
    squares = np.bincount(inverse, margin * margin)
    big = count >= min_images
    if big.sum() < 2:
        return float("nan")
    n = count[big]
    mean = total[big] / n
    within = (squares[big] - n * mean * mean) / (n - 1)
    within_var = float(np.average(within, weights=n))
    between_var = max(float(np.var(mean, ddof=1) - np.mean(within_var / n)), 0.0)
    if within_var + between_var <= 0:
        return float("nan")
    return between_var / (within_var + between_var)
