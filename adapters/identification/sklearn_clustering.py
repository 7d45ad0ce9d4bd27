"""k-means and silhouette from scikit-learn (the EmbeddingClustering port)."""

from __future__ import annotations

import numpy as np
from sklearn import config_context
from sklearn.cluster import KMeans
from sklearn.manifold import TSNE
from sklearn.metrics import silhouette_score

#: Restarts when no starting centres are given: k-means++ alone can merge two animals.
N_INIT_WITHOUT_CENTRES = 10
#: MB of pairwise distances the silhouette holds at once. scikit-learn's default (1 GB) was the
#: step's peak with 100 animals: the 30,000-image sample's distances in 1 GB chunks at every
#: evaluation, on top of 3 GB of session. The score is the same in smaller chunks.
SILHOUETTE_WORKING_MB = 64
#: Points the silhouette is computed on (the same seeded subset at every evaluation): its cost grows
#: with their square: on 100 animals' 30,000 an evaluation took 14 s, with 10,000 it takes 8-9 s. 10,000
#: leave a hundred per animal at 100 animals to estimate the mean distances from, and leave every
#: case up to 33 animals (at most 300 sampled per animal) on all its points.
SILHOUETTE_POINTS = 10_000


class SklearnClustering:
    """Implements the EmbeddingClustering port."""

    def kmeans(self, x: np.ndarray, n: int, init: np.ndarray | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
        model = KMeans(n, init="k-means++" if init is None else init,
                       n_init=N_INIT_WITHOUT_CENTRES if init is None else 1, random_state=seed)
        labels = model.fit_predict(x)
        return model.cluster_centers_, labels

    def silhouette(self, x: np.ndarray, labels: np.ndarray) -> float:
        if len(np.unique(labels)) < 2 or len(np.unique(labels)) >= len(x):
            return 0.0
        if len(x) > SILHOUETTE_POINTS:
            keep = np.sort(np.random.default_rng(0).choice(len(x), SILHOUETTE_POINTS, replace=False))
            x, labels = x[keep], labels[keep]
            if len(np.unique(labels)) < 2:
                return 0.0
        with config_context(working_memory=SILHOUETTE_WORKING_MB):
            return float(silhouette_score(x, labels))


def tsne_2d(x: np.ndarray, seed: int = 0) -> np.ndarray:
    """(n, 2) t-SNE map of (n, D) points (the EmbeddingProjection port): neighbours in the embedding
    stay neighbours on the page, so each animal's images show as one island."""
    perplexity = float(min(30.0, max(2.0, (len(x) - 1) / 3)))
    return TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(x)
