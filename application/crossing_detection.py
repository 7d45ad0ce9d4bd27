"""The crossing-detection stage: which blobs are one animal and which are several touching.

The area model and the blob counts settle most blobs (see ``domain.crossing_labels``). A small
CNN is trained on the sure blobs only when it can add something: there must be uncertain blobs
whose area falls where the two classes meet, and enough sure examples of each class to learn
from. Otherwise the area rule decides, which costs nothing; the event's ``method`` says which
path was taken and why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import attrs
import numpy as np
from idtracker.domain.area_model import AreaModel, classify_individuals
from idtracker.domain.crossing_labels import CrossingLabels, ambiguous_by_area, balanced_training_set, crossing_labels
from idtracker.domain.id_image_geometry import id_image_geometry

from . import events as ev
from .ports import EventSink, IdentificationImages, IdentityClassifier
from .segmentation import SegmentedVideo
from .session_setup import package_version
from .settings import Settings

MIN_PER_CLASS = 10
CAP_PER_CLASS = 3000
MIN_VALIDATION_ACCURACY = 0.9
DETECTOR_MAX_SIDE = 24
DETECTOR_FOLDER = "crossings_detector"


@attrs.frozen
class CrossingResult:
    """What the stage decided.

    Attributes:
        individual: (n_blobs,) bool True for single animals.
        area_model: the single-animal area model.
        body_length: median body length in pixels (sizes the identification images).
        labels: the training labels (None for a single animal).
        method: how the uncertain blobs were classified, in words.
        images: uint8 (n_blobs, S, S) identification images if the detector needed them, so the
            identification stage does not build them again; else None.
    """

    individual: np.ndarray
    area_model: AreaModel
    body_length: float
    labels: CrossingLabels | None
    method: str
    images: np.ndarray | None = None

    def event(self, duration_s: float) -> ev.CrossingsDetected:
        """The stage's event: final class counts, training-label counts and the method used."""
        n = len(self.individual)
        sure_single, sure_crossing = ((int(self.labels.sure_individual.sum()), int(self.labels.sure_crossing.sum()))
                                      if self.labels is not None else (n, 0))
        n_individual = int(self.individual.sum())
        return ev.CrossingsDetected(self.body_length, n_individual, n - n_individual, sure_single, sure_crossing,
                                    n - sure_single - sure_crossing, self.method, duration_s)


@attrs.define
class CrossingDetection:
    """Classifies every blob as individual or crossing, training a detector only when it pays."""

    id_images: IdentificationImages
    make_detector: Callable[[int, Settings], IdentityClassifier]
    events: EventSink

    def __call__(self, settings: Settings, segmented: SegmentedVideo, number_of_frames: int, workers: int,
                 session_folder: Path) -> CrossingResult:
        blobs, n = segmented.blobs, settings.number_of_animals
        per_frame = blobs.counts_per_frame(number_of_frames)[blobs.frame]
        body_length = median_body_length(blobs.extension(), per_frame, n)
        by_area, model = classify_individuals(blobs.area, per_frame, n)
        if n == 1:
            return CrossingResult(np.ones(len(blobs), bool), model, body_length, None, "single animal")
        labels = crossing_labels(blobs.area, blobs.frame, segmented.links, n, model)
        reason = _why_not_train(settings, labels, ambiguous_by_area(blobs.area, labels))
        if reason:
            return CrossingResult(by_area, model, body_length, labels, f"area model ({reason})")
        return self._train(settings, segmented, labels, by_area, model, body_length, workers, session_folder)

    def _train(self, settings: Settings, segmented: SegmentedVideo, labels: CrossingLabels, by_area: np.ndarray,
               model: AreaModel, body_length: float, workers: int, session_folder: Path) -> CrossingResult:
        t0 = time.perf_counter()
        size, scale = id_image_geometry(body_length, settings.id_image_size, settings.resolution_reduction)
        images = self.id_images.build(segmented, size, scale, workers, session_folder / "identification_images")
        self.events.publish(ev.IdentificationImagesBuilt(len(images), size, scale, time.perf_counter() - t0))

        small, factor = downsampled(images, DETECTOR_MAX_SIDE)
        chosen, classes = balanced_training_set(labels, CAP_PER_CLASS, settings.random_seed)
        detector = self.make_detector(small.shape[1], settings)
        figures = detector.fit(small[chosen], classes)
        accuracy = figures["validation_accuracy"]
        if accuracy < MIN_VALIDATION_ACCURACY:
            return CrossingResult(by_area, model, body_length, labels,
                                  f"area model (detector validation accuracy {accuracy:.3f} too low)", images)
        detector.save(session_folder / DETECTOR_FOLDER, {
            "n_classes": 2, "image_size": [small.shape[1], small.shape[1], 1], "resolution_reduction": scale,
            "pooling": factor, "version": package_version(),
            "training_images_per_class": len(chosen) // 2, "validation_accuracy": accuracy})
        uncertain = np.flatnonzero(labels.uncertain)
        individual = labels.sure_individual.copy()
        if len(uncertain):
            log_p = detector.log_proba(small[uncertain])
            individual[uncertain] = log_p[:, 0] >= log_p[:, 1]
        return CrossingResult(individual, model, body_length, labels,
                              f"cnn (validation accuracy {accuracy:.3f}, {figures['epochs']} epochs)", images)


def _why_not_train(settings: Settings, labels: CrossingLabels, ambiguous: np.ndarray) -> str:
    """Why the area rule is enough, or '' when the detector should be trained."""
    if settings.track_wo_identities:
        return "tracking without identities"
    if not ambiguous.any():
        return f"{int(labels.uncertain.sum())} uncertain blobs, none ambiguous by area"
    fewest = min(int(labels.sure_individual.sum()), int(labels.sure_crossing.sum()))
    if fewest < MIN_PER_CLASS:
        return f"too few sure examples to train: {fewest} in the smaller class"
    return ""


def downsampled(images: np.ndarray, max_side: int) -> tuple[np.ndarray, int]:
    """(uint8 (n, s, s) images mean-pooled by an integer factor so s <= max_side, the factor).

    Telling one animal from several needs the silhouette, not the fine texture identities need;
    a quarter of the pixels makes training about four times cheaper.
    """
    factor = -(-images.shape[1] // max_side)
    if factor == 1:
        return images, 1
    side = images.shape[1] // factor
    cropped = images[:, :side * factor, :side * factor].reshape(len(images), side, factor, side, factor)
    return cropped.mean(axis=(2, 4)).round().astype(np.uint8), factor


def median_body_length(extension: np.ndarray, per_frame: np.ndarray, number_of_animals: int) -> float:
    """Median blob extension over frames with exactly N blobs (all blobs if there are none)."""
    sure = extension[per_frame == number_of_animals] if number_of_animals > 0 else extension[:0]
    sample = sure if len(sure) else extension
    return float(np.median(sample)) if len(sample) else 0.0
