"""Pooling rounds are kept only when the classifier trained on them shows appearance tells the animals apart."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("torch")
from idtracker.adapters.events.memory_sink import InMemoryEventSink  # noqa: E402
from idtracker.adapters.identification.torch_classifier import TorchIdentityClassifier  # noqa: E402
from idtracker.application import events as ev  # noqa: E402
from idtracker.application.accumulation import Accumulation  # noqa: E402
from idtracker.domain.fragment_pooling import MIN_POOLING_INFORMATION, identity_information  # noqa: E402
from idtracker.domain.fragments import build_fragments  # noqa: E402
from idtracker.domain.global_fragments import build_global_fragments  # noqa: E402

SIZE = 24


def test_information_is_nil_at_chance_full_when_always_right_and_compares_across_animal_counts():
    assert identity_information(1 / 14, 14) == 0.0 and identity_information(0.02, 14) == 0.0
    assert identity_information(1.0, 14) == pytest.approx(math.log(14))
    assert identity_information(0.3, 14) < identity_information(0.5, 14) < identity_information(0.9, 14)
    assert identity_information(0.4, 20) > identity_information(0.6, 2)


def _two_animals_crossing_once(frames: int = 100, crossing: tuple[int, int] = (30, 35)):
    """Two animals apart, then one blob for a few frames, then apart again: blob frames, links, individual."""
    frame, individual, links, last = [], [], [], []
    for t in range(frames):
        together = crossing[0] <= t < crossing[1]
        here = []
        for _ in range(1 if together else 2):
            here.append(len(frame))
            frame.append(t)
            individual.append(not together)
        if last:
            if len(here) == len(last):
                links += list(zip(last, here))
            else:
                links += [(a, b) for a in last for b in here]
        last = here
    return np.array(frame), np.array(links, np.int64), np.array(individual)


def test_a_pool_of_animals_that_look_the_same_is_undone_and_the_classifier_goes_back():
    frame, links, individual = _two_animals_crossing_once()
    fragments = build_fragments(frame, links, individual)
    global_fragments = build_global_fragments(frame, fragments, int(frame.max()) + 1, 2)
    blobs = np.flatnonzero(individual)
    images = np.full((len(blobs), SIZE, SIZE), 120, np.uint8)  # the two animals are one picture
    classifier = TorchIdentityClassifier(SIZE, 2, seed=3)
    restored = []
    restore = classifier.restore
    classifier.restore = lambda weights: (restored.append(weights), restore(weights))[1]
    sink = InMemoryEventSink()
    Accumulation(classifier, sink)(images, fragments.of_blob[blobs], fragments, global_fragments, 2)
    [pooled] = sink.of_type(ev.FragmentsPooled)
    assert pooled.fragments_pooled == 2 and not pooled.kept and pooled.information < MIN_POOLING_INFORMATION
    assert len(restored) == 1


def test_restored_weights_score_as_before_the_training_that_was_undone():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (60, SIZE, SIZE), dtype=np.uint8)
    classifier = TorchIdentityClassifier(SIZE, 2, seed=1)
    classifier.fit(images, np.arange(60) % 2)
    before, weights = classifier.log_proba(images), classifier.weights()
    classifier.fit(images, 1 - np.arange(60) % 2)
    assert not np.allclose(classifier.log_proba(images), before)
    classifier.restore(weights)
    assert np.array_equal(classifier.log_proba(images), before)


class _FragmentMemoriser:
    """A classifier that recognises only the pictures it was taught (nearest taught image, when
    close), uniform elsewhere: what a CNN becomes on animals that look alike but whose fragments
    each look like themselves. Its validation images come from the taught fragments, so it
    passes the pooling's information bar while it has learnt no animal."""

    def __init__(self, identities: int):
        self.n = identities
        self.taught = (np.zeros((0, SIZE * SIZE)), np.zeros(0, np.int64))

    def fit(self, images: np.ndarray, labels: np.ndarray) -> dict:
        flat = images.reshape(len(images), -1).astype(float)
        held = np.arange(len(flat)) % 5 == 0
        self.taught = (flat[~held], labels[~held])
        right = self.log_proba(images[held]).argmax(1) == labels[held]
        self.taught = (flat, labels)
        return {"epochs": 1, "validation_accuracy": float(right.mean())}

    def log_proba(self, images: np.ndarray) -> np.ndarray:
        return self.log_proba_and_features(images)[0]

    def log_proba_and_features(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        flat = images.reshape(len(images), -1).astype(float)
        taught, labels = self.taught
        proba = np.full((len(flat), self.n), 1.0 / self.n)
        distance = ((flat[:, None, :] - taught[None]) ** 2).mean(2)
        nearest = distance.argmin(1)
        known = distance[np.arange(len(flat)), nearest] < 100.0  # same picture, up to the noise
        proba[known] = 0.05 / (self.n - 1)
        proba[np.flatnonzero(known), labels[nearest[known]]] = 0.95
        return np.log(proba), flat.astype(np.float32)

    def weights(self) -> object:
        return self.taught

    def restore(self, weights: object) -> None:
        self.taught = weights


def test_a_pooled_label_is_as_sure_as_the_classifier_was_before_it_was_taught_it():
    frame, links, individual = _two_animals_crossing_once(120, (40, 44))
    fragments = build_fragments(frame, links, individual)
    global_fragments = build_global_fragments(frame, fragments, int(frame.max()) + 1, 2)
    blobs = np.flatnonzero(individual)
    image_fragment = fragments.of_blob[blobs]
    rng = np.random.default_rng(0)
    looks = rng.integers(0, 255, (len(fragments), SIZE, SIZE)).astype(float)  # each fragment its own picture
    images = np.clip(looks[image_fragment] + rng.normal(0, 4, (len(blobs), SIZE, SIZE)), 0, 255).astype(np.uint8)
    sink = InMemoryEventSink()
    result = Accumulation(_FragmentMemoriser(2), sink)(images, image_fragment, fragments, global_fragments, 2)
    pooling = sink.of_type(ev.FragmentsPooled)[0]
    assert pooling.kept and pooling.fragments_pooled == 2
    first = np.flatnonzero(fragments.is_individual & (fragments.start >= 44))  # the longer: the first global fragment
    pooled = np.flatnonzero(fragments.is_individual & (fragments.stop <= 40))
    final = result.evidence[pooled]
    assert (final.max(1) - final.min(1) > 10).all()  # the final classifier confirms what it was taught
    assert result.fragment_probability[pooled] == pytest.approx([0.5, 0.5])  # as unsure as before
    assert result.fragment_probability[first].tolist() == [1.0, 1.0]  # the labels that name the identities
