"""The crossing-detection stage: a CNN when the area rule is unsure, the area rule otherwise."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from idtracker.adapters.events.memory_sink import InMemoryEventSink
from idtracker.adapters.identification.torch_classifier import TorchIdentityClassifier
from idtracker.application.crossing_detection import CrossingDetection
from idtracker.application.segmentation import SegmentedVideo
from idtracker.application.settings import Settings
from idtracker.domain.blobs import BlobTable

SIZE = 32
SIDE = 33  # bbox side whose diagonal makes 32-pixel identification images


def _animal(canvas: np.ndarray, centre, angle: float, rng: np.random.Generator) -> None:
    axes = (int(rng.integers(9, 12)), int(rng.integers(3, 5)))
    cv2.ellipse(canvas, (int(centre[0]), int(centre[1])), axes, angle, 0, 360, int(rng.integers(60, 140)), -1)


def render(kind: str, rng: np.random.Generator) -> np.ndarray:
    """uint8 (SIZE, SIZE): one ellipse ("single") or two touching ones ("crossing"), centred."""
    canvas = np.zeros((SIZE, SIZE), np.uint8)
    c = np.array([SIZE / 2, SIZE / 2])
    angle = float(rng.uniform(0, 180))
    if kind == "single":
        _animal(canvas, c, angle, rng)
        return canvas
    step = rng.uniform(5, 8) * np.array([np.cos(np.radians(angle + 90)), np.sin(np.radians(angle + 90))])
    _animal(canvas, c - step / 2, angle, rng)
    _animal(canvas, c + step / 2, angle + float(rng.uniform(-50, 50)), rng)
    return canvas


class PrerenderedImages:
    """IdentificationImages adapter serving images rendered by the test, one per blob."""

    def __init__(self, images: np.ndarray):
        self.images, self.calls = images, 0

    def build(self, segmented, size, scale, workers, folder):
        assert size == SIZE and len(segmented.blobs) == len(self.images)
        self.calls += 1
        return self.images


def scene(n_clean_frames: int, n_crossings: int, big_singles: int, big_crossings: int, seed: int = 0):
    """Two animals: clean frames, frames with one crossing blob, and large blobs the area rule doubts.

    Returns the segmented video, the rendered images and the truth (True = one animal).
    """
    rng = np.random.default_rng(seed)
    areas = list(rng.normal(100, 5, 2 * n_clean_frames)) + [200.0] * n_crossings + [130.0] * (big_singles + big_crossings)
    frames = list(np.repeat(np.arange(n_clean_frames), 2))
    frames += list(n_clean_frames + np.arange(n_crossings + big_singles + big_crossings))
    truth = [True] * (2 * n_clean_frames) + [False] * n_crossings + [True] * big_singles + [False] * big_crossings
    images = np.stack([render("single" if t else "crossing", rng) for t in truth])
    n = len(areas)
    blobs = BlobTable(np.array(frames, np.int64), np.zeros((n, 2)), np.array(areas), np.tile([0, 0, SIDE, SIDE], (n, 1)).astype(np.int32),
                      np.zeros((n, 2), np.int32), np.arange(n + 1, dtype=np.int64))
    segmented = SegmentedVideo(blobs, np.zeros((0, 2), np.int64), [], np.zeros(0, np.int64), ())
    return segmented, images, np.array(truth)


def _detector(size: int, settings: Settings) -> TorchIdentityClassifier:
    return TorchIdentityClassifier(size, 2, "cpu", name="crossing_detector")


def _no_detector(size: int, settings: Settings):
    raise AssertionError("the area rule was enough; no detector should be made")


def _run(segmented, images, make_detector, folder: Path, **settings):
    events = InMemoryEventSink()
    stage = CrossingDetection(PrerenderedImages(images), make_detector, events)
    frames = int(segmented.blobs.frame.max()) + 1
    result = stage(Settings(**{"number_of_animals": 2, **settings}), segmented, frames, 1, folder)
    return result, result.event(0.0), stage.id_images.calls


def test_cnn_tells_large_single_animals_from_crossings_the_area_rule_confuses(tmp_path: Path):
    segmented, images, truth = scene(n_clean_frames=100, n_crossings=100, big_singles=15, big_crossings=15)
    result, event, built = _run(segmented, images, _detector, tmp_path)
    assert event.method.startswith("cnn")
    assert (event.sure_individual_blobs, event.sure_crossing_blobs, event.uncertain_blobs) == (200, 100, 30)
    assert np.mean(result.individual[-30:] == truth[-30:]) >= 0.9
    assert (result.individual[:-30] == truth[:-30]).all()
    assert built == 1 and result.images is images
    params = json.loads((tmp_path / "crossings_detector" / "model_params.json").read_text())
    assert params["n_classes"] == 2 and params["image_size"] == [SIZE // 2, SIZE // 2, 1]
    assert (tmp_path / "crossings_detector" / "crossing_detector.model.pt").exists()


def test_too_few_sure_crossings_fall_back_to_the_area_rule(tmp_path: Path):
    segmented, images, truth = scene(n_clean_frames=20, n_crossings=5, big_singles=3, big_crossings=3)
    result, event, built = _run(segmented, images, _no_detector, tmp_path)
    assert event.method.startswith("area model (too few sure examples")
    assert result.individual.tolist() == [True] * 40 + [False] * 11
    assert built == 0 and result.images is None
    assert not (tmp_path / "crossings_detector").exists()


def test_no_training_when_no_uncertain_blob_is_ambiguous(tmp_path: Path):
    segmented, images, truth = scene(n_clean_frames=20, n_crossings=20, big_singles=0, big_crossings=0)
    result, event, built = _run(segmented, images, _no_detector, tmp_path)
    assert "none ambiguous" in event.method and event.uncertain_blobs == 0
    assert (result.individual == truth).all() and built == 0


@pytest.mark.parametrize("settings, method", [({"number_of_animals": 1}, "single animal"),
                                              ({"track_wo_identities": True}, "area model (tracking without identities)")])
def test_single_animal_and_tracking_without_identities_train_nothing(tmp_path: Path, settings, method):
    segmented, images, _ = scene(n_clean_frames=20, n_crossings=20, big_singles=5, big_crossings=5)
    result, event, built = _run(segmented, images, _no_detector, tmp_path, **settings)
    assert event.method == method and built == 0
    if settings.get("number_of_animals") == 1:
        assert result.individual.all()
