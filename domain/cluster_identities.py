"""From clusters in an embedding to identity probabilities that agree with the first global fragment.

Clusters have arbitrary indices; the first global fragment's N fragments carry the N labels, so
the cluster holding most of fragment k's images becomes label k (a one-to-one matching).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

#: Sharpness of the inverse-distance probabilities (idtracker.ai's exponent) and the distance offset.
DISTANCE_POWER = 7.0
DISTANCE_OFFSET = 0.01


def cluster_log_proba(distances: np.ndarray) -> np.ndarray:
    """(n, N) log-probabilities with p_k proportional to (1 / (d_k + 0.01))^7, from (n, N) distances
    to the centres (float64, overwritten: with 100 animals and 140k images every (n, N) copy is 110 MB)."""
    scores = distances
    scores += DISTANCE_OFFSET
    np.log(scores, out=scores)
    scores *= -DISTANCE_POWER
    scores -= np.logaddexp.reduce(scores, axis=1, keepdims=True)
    return scores


def centre_log_proba(z: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(n, N) ``cluster_log_proba`` of (n, D) embeddings to (N, D) centres, with no (n, N, D)
    difference array (1 GB for 140k images of 100 animals in 8 dimensions)."""
    return cluster_log_proba(cdist(z, centres))


def match_clusters(image_cluster: np.ndarray, image_label: np.ndarray, n: int) -> np.ndarray:
    """(n,) label of each cluster maximising the images whose cluster and known label agree.

    Args:
        image_cluster: (m,) cluster of each labelled image.
        image_label: (m,) its known label (0..n-1).
        n: number of clusters and labels.
    """
    counts = np.zeros((n, n))
    np.add.at(counts, (image_cluster, image_label), 1)
    rows, cols = linear_sum_assignment(-counts)
    label = np.empty(n, np.int64)
    label[rows] = cols
    return label
