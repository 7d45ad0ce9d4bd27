"""The ports the use cases need; adapters implement them (structural typing, no inheritance)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from .events import Event


class EventSink(Protocol):
    """Where use cases report what happened and how far long work has got."""

    def publish(self, event: Event) -> None: ...

    def progress(self, description: str, total: int | None) -> AbstractContextManager[Callable[[int], None]]:
        """A context giving a callable that advances the progress by n units."""
        ...


class VideoSource(Protocol):
    """Frames of one or more video files read as a single continuous timeline."""

    @property
    def number_of_frames(self) -> int: ...

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...

    @property
    def frames_per_second(self) -> float: ...

    @property
    def file_boundaries(self) -> list[int]:
        """Global index of the first frame of each file, plus the total at the end."""
        ...

    def read_gray(self, start: int, stop: int) -> Iterator[tuple[int, np.ndarray | None]]:
        """Yield (global frame index, uint8 (H, W) frame or None if unreadable) for [start, stop)."""
        ...


class SessionStore(Protocol):
    """Reads and writes a session folder; every write is atomic (temp file, then rename)."""

    @property
    def folder(self) -> Path: ...

    def write_json(self, relative: str, data: dict) -> Path: ...

    def write_text(self, relative: str, text: str) -> Path: ...

    def write_arrays(self, relative: str, arrays: dict[str, np.ndarray]) -> Path: ...

    def write_trajectories(self, data: dict, formats: list[str]) -> list[Path]: ...

    def read_json(self, relative: str) -> dict | None:
        """A JSON object written by ``write_json``; None when absent or unreadable."""
        ...

    def read_arrays(self, relative: str) -> dict[str, np.ndarray] | None:
        """Arrays written by ``write_arrays`` (no pickles); None when absent or unreadable."""
        ...

    def remove(self, relative: str) -> bool:
        """Delete a file or folder of the session; False if it was not there."""
        ...


class ImageTools(Protocol):
    """Image operations the use cases need but must not implement with an imaging library."""

    def roi_mask(self, roi_list: list[str] | None, width: int, height: int) -> np.ndarray | None:
        """uint8 (H, W) mask (255 inside the ROI) or None when there is no ROI."""
        ...

    def roi_regions(self, roi_list: list[str] | None, width: int, height: int) -> tuple[np.ndarray, int]:
        """(H, W) int labels of the ROI's separate regions (0 outside, 1..R) and R (0 without a ROI)."""
        ...

    def background(self, frames: list[np.ndarray], stat: str) -> np.ndarray:
        """uint8 (H, W) per-pixel statistic (median/mean/max/min) of gray frames."""
        ...

    def read_gray_image(self, path: Path) -> np.ndarray:
        """uint8 (H, W) image from a file; UserError if unreadable."""
        ...

    def write_image(self, path: Path, image: np.ndarray) -> None: ...


class IdentityClassifier(Protocol):
    """A network that learns identities from labelled images and scores new ones.

    ``fit`` continues from the current weights, so each accumulation step refines the last.
    """

    def fit(self, images: np.ndarray, labels: np.ndarray) -> dict:
        """Train on uint8 (n, S, S) images with 0-based int labels; returns figures (epochs, accuracy)."""
        ...

    def log_proba(self, images: np.ndarray) -> np.ndarray:
        """(n, N) float64 log-probabilities of each identity."""
        ...

    def log_proba_and_features(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``log_proba`` and (n, D) float32 features the identities are told apart by, in one pass."""
        ...

    def save(self, folder: Path, params: dict) -> Path:
        """Write the weights and ``model_params.json`` (``params`` plus the model name) atomically."""
        ...

    def warm_start(self, model: TransferModel) -> bool:
        """Start from ``model``'s weights when it is this network with as many classes; else False."""
        ...

    def weights(self) -> object:
        """A copy of the current weights, for ``restore`` (training that turns out wrong is undone)."""
        ...

    def restore(self, weights: object) -> None:
        """Go back to weights that ``weights`` returned."""
        ...


class IdentificationImages(Protocol):
    """Builds the identification image of every blob from the segmentation's crops."""

    def build(self, segmented, size: int, scale: float, workers, folder: Path | None) -> np.ndarray:
        """uint8 (n_blobs, size, size); also written per episode under ``folder`` when given.
        ``workers``: a number of local processes or an EpisodeRunner (Dask)."""
        ...


class ContrastiveEncoder(Protocol):
    """A network trained from positive and negative image pairs to embed images of one animal close together.

    Training runs in chunks of batches so the caller can evaluate in between and decide when to
    stop (silhouette, patience); ``snapshot``/``restore`` keep the best weights seen.
    """

    #: Positive pairs per batch actually used (as many negative ones), and the device's name.
    batch_pairs: int
    device_name: str

    def start(self, images: np.ndarray, image_fragment: np.ndarray, positive: np.ndarray, negative: np.ndarray,
              anchors: np.ndarray) -> None:
        """Training data: uint8 (n, S, S) images, (n,) their fragments, (P,) positive fragments,
        (K, 2) negative fragment pairs, (N,) anchor fragments known to be N different animals (label = position)."""
        ...

    def train(self, batches: int) -> float:
        """Run that many batches; returns the mean loss."""
        ...

    def embed(self, index: np.ndarray) -> np.ndarray:
        """(len(index), D) float64 embeddings of the training images at ``index``."""
        ...

    def snapshot(self) -> object: ...

    def finish(self) -> None:
        """Let go of the training data (with 100 animals a third of a GB of images as the network
        reads them); the weights stay, to be saved."""
        ...

    def warm_start(self, model: TransferModel) -> bool:
        """Start from ``model``'s weights when it is a contrastive encoder like this one; else False."""
        ...

    def restore(self, snapshot: object) -> None: ...

    def save(self, folder: Path, centres: np.ndarray, params: dict) -> Path:
        """Write the weights, the (N, D) cluster centres and ``model_params.json`` into folder."""
        ...

    def save_checkpoint(self, folder: Path) -> Path:
        """Write the weights alone (an encoder whose identities were not final)."""
        ...


class TransferModel(Protocol):
    """A previous session's final identification model (knowledge transfer, idmatcher.ai), read as data only."""

    #: "contrastive" or "cnn"; the identities it knows; the identification images it was trained on.
    kind: str
    source: Path
    n_classes: int
    image_size: int
    resolution_reduction: float

    def log_proba(self, images: np.ndarray) -> np.ndarray:
        """(n, n_classes) log-probabilities of its identities for uint8 (n, S, S) images."""
        ...


class EmbeddingClustering(Protocol):
    """k-means and its silhouette, deterministic for a given seed."""

    def kmeans(self, x: np.ndarray, n: int, init: np.ndarray | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """((n, D) centres, (m,) cluster of each row of x); ``init`` (n, D) starting centres or None."""
        ...

    def silhouette(self, x: np.ndarray, labels: np.ndarray) -> float:
        """Mean silhouette in [-1, 1]; 0 when fewer than two clusters are occupied."""
        ...
