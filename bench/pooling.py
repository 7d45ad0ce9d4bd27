"""Fragment pooling at the scale of hours of video: time and memory against the number of candidates.

Usage: python bench/pooling.py [--candidates 1000 10000 30000] [--animals 100] [--noise 2.5]

A synthetic scene: each animal is seen in a run of non-overlapping fragments along its own time
line (the first 20 labelled, the rest candidates), so fragments of different animals coexist
wherever their runs overlap; a fragment's descriptor is its animal's random look plus Gaussian
noise (``--noise``, in units of the look's spread; 2.5 leaves about two thirds of them poolable).
Prints, per size, the seconds pool_fragments takes, the peak memory Python allocated during the
call (tracemalloc), the share of candidates pooled and the share pooled with their own animal.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
from idtracker.domain.coexistence import Coexistence
from idtracker.domain.fragment_pooling import pool_fragments

LABELLED_PER_ANIMAL = 20
FRAGMENT_FRAMES = 100
FEATURES = 100


def scene(animals: int, candidates: int, noise: float, seed: int = 0):
    """(labels, descriptors, candidates, coexistence, truth) of a synthetic session."""
    rng = np.random.default_rng(seed)
    labelled = animals * LABELLED_PER_ANIMAL
    truth = np.concatenate([np.repeat(np.arange(animals), LABELLED_PER_ANIMAL), rng.integers(0, animals, candidates)])
    order = rng.permutation(len(truth))
    slot = np.zeros(len(truth), np.int64)
    seen = np.zeros(animals, np.int64)
    for f in order:
        slot[f] = seen[truth[f]]
        seen[truth[f]] += 1
    start = slot * FRAGMENT_FRAMES
    coexistence = Coexistence.of(start, start + FRAGMENT_FRAMES - 5, np.arange(len(truth)))
    looks = rng.normal(size=(animals, FEATURES))
    descriptors = looks[truth] + noise * rng.normal(size=(len(truth), FEATURES))
    labels = np.where(np.arange(len(truth)) < labelled, truth, -1)
    return labels, descriptors, np.arange(labelled, len(truth)), coexistence, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, nargs="+", default=[1000, 10000, 30000])
    parser.add_argument("--animals", type=int, default=100)
    parser.add_argument("--noise", type=float, default=2.5)
    args = parser.parse_args()
    print(f"{'candidates':>10} {'seconds':>8} {'peak_MB':>8} {'pooled':>7} {'right':>6}")
    for k in args.candidates:
        labels, descriptors, candidates, coexistence, truth = scene(args.animals, k, args.noise)
        tracemalloc.start()
        t0 = time.perf_counter()
        pooled = pool_fragments(labels, descriptors, candidates, coexistence, args.animals)
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        out = pooled[candidates]
        print(f"{k:>10} {seconds:>8.1f} {peak:>8.0f} {np.mean(out >= 0):>7.3f} {np.mean(out == truth[candidates]):>6.3f}")


if __name__ == "__main__":
    main()
