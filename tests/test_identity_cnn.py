"""The identity CNN: it learns faint markings on bright images, and its input scaling travels with its weights."""

from __future__ import annotations

import json

import numpy as np
import torch

from idtracker.adapters.identification.torch_classifier import IdNet, TorchIdentityClassifier
from idtracker.adapters.identification.transfer_model import load_transfer_model

SIZE = 24


def _faint_animals(n_per_class: int, n_classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Low-contrast images: a grey body on a bright background, each class marked by a stripe a few
    grey levels darker than the body (a fiftieth of the pixel scale), at a random place along it."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(n_classes), n_per_class)
    images = rng.normal(215.0, 3.0, (len(labels), SIZE, SIZE))
    images[:, 9:15, 3:21] -= 25.0  # the body
    for k, label in enumerate(labels):
        shift = rng.integers(-1, 2)
        column = 5 + 4 * label + shift
        images[k, 9:15, column:column + 2] -= 6.0  # the animal's marking
    return np.clip(images, 0, 255).astype(np.uint8), labels


def test_faint_markings_on_bright_images_are_learnt():
    images, labels = _faint_animals(300, 4, seed=0)
    test_images, test_labels = _faint_animals(100, 4, seed=1)
    classifier = TorchIdentityClassifier(SIZE, 4, seed=0)
    classifier.fit(images, labels)
    right = classifier.log_proba(test_images).argmax(1) == test_labels
    assert right.mean() > 0.9


def test_the_input_scaling_is_saved_with_the_weights(tmp_path):
    images, labels = _faint_animals(50, 3, seed=2)
    classifier = TorchIdentityClassifier(SIZE, 3, seed=0)
    classifier.fit(images, labels)
    net = classifier.model
    assert float(net.input_mean) > 0.7 and float(net.input_std) < 0.1  # the pixels' own scale, not [0, 1]
    classifier.save(tmp_path / "accumulation", {"n_classes": 3, "image_size": [SIZE, SIZE, 1],
                                                "resolution_reduction": 1.0})
    loaded = load_transfer_model(tmp_path)
    assert np.allclose(loaded.log_proba(images), classifier.log_proba(images), atol=1e-5)
    refit = TorchIdentityClassifier(SIZE, 3, seed=1)
    assert refit.warm_start(loaded)
    refit.fit(images[::2], labels[::2])  # a later fit keeps the scale the weights were made for
    assert float(refit.model.input_mean) == float(net.input_mean)


def test_a_model_saved_before_input_scaling_loads_as_it_was(tmp_path):
    old = IdNet(SIZE, 3)
    state = {k: v for k, v in old.state_dict().items() if not k.startswith("input_")}
    torch.save(state, tmp_path / "identifier_cnn.model.pt")
    params = {"n_classes": 3, "image_size": [SIZE, SIZE, 1], "resolution_reduction": 1.0}
    (tmp_path / "model_params.json").write_text(json.dumps(params))
    images = np.random.default_rng(3).integers(0, 256, (4, SIZE, SIZE), dtype=np.uint8)
    with torch.inference_mode():
        raw = torch.log_softmax(old.eval().head(old.features(torch.from_numpy(images).unsqueeze(1).float() / 255)), 1)
    assert np.allclose(load_transfer_model(tmp_path).log_proba(images), raw.double().numpy(), atol=1e-5)
