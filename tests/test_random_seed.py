"""``random_seed``: the container's networks and the use cases' random choices follow it.

The same video tracked twice with the same parameters must give the same identities (sessions
resume, results are reproducible), and another seed must really be another run, or measuring how
far a result moves between runs (``bench/accuracy.py --random_seeds``) measures nothing.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from idtracker.application.settings import Settings  # noqa: E402
from idtracker.entrypoints.container import (torch_classifier, torch_contrastive_encoder,  # noqa: E402
                                             torch_crossing_detector)


def _same_weights(a: dict, b: dict) -> bool:
    return all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)


def _encoder_weights(seed: int) -> dict:
    encoder = torch_contrastive_encoder(Settings(random_seed=seed, device="cpu"))
    return {k: v.detach().clone() for k, v in encoder.model.state_dict().items()}


@pytest.mark.parametrize("make", [lambda s: torch_classifier(32, 4, s), lambda s: torch_crossing_detector(32, s)])
def test_identity_and_crossing_networks_start_from_the_seeds_weights(make):
    first = make(Settings(random_seed=0, device="cpu")).weights()
    again = make(Settings(random_seed=0, device="cpu")).weights()
    other = make(Settings(random_seed=1, device="cpu")).weights()
    assert _same_weights(first, again)
    assert not _same_weights(first, other)


def test_contrastive_encoder_starts_from_the_seeds_weights():
    assert _same_weights(_encoder_weights(0), _encoder_weights(0))
    assert not _same_weights(_encoder_weights(0), _encoder_weights(2))
