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
