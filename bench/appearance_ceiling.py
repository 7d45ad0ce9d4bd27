"""How far the animals' looks alone can name them: the identity CNN taught the ground truth.

Usage: python bench/appearance_ceiling.py [--work DIR] [CASE ...]

Identification is appearance plus motion. Where a case falls short of its target, this says whether
the images could have named the animals at all, so that a rule is not tuned against a video whose
animals cannot be told apart by their looks. For every rendered case ``bench/accuracy.py`` tracked,
the pipeline's identity CNN (the same network and training, seed 0) is taught the true animal of
the individual blobs of a random half of the fragments as segmented, and asked about the other half.
The split is by fragment because consecutive images of one fragment are nearly the same picture: a
split by image measures memory, not recognition. Prints per case, for the held-out half: the share
of images named right, the share of images whose fragment is named right (its images'
log-probabilities summed), that share for fragments of 1-9, 10-49 and 50 or more images, and chance
(one over the animals). Draws the fragment shares beside chance into ``--work/appearance_ceiling.png``.
Reads the sessions (their identification images, kept by data_policy idmatcher.ai or all); tracks
nothing.
"""

from __future__ import annotations

import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from idtracker.adapters.identification.torch_classifier import TorchIdentityClassifier  # noqa: E402
from idtracker.adapters.storage.ground_truth_file import read_ground_truth  # noqa: E402
from idtracker.adapters.storage.session_images import read_identified_images  # noqa: E402

from tracked_cases import blob_animals, saved_blobs, session_of, tracked_cases  # noqa: E402  bench/ is the script's own folder

#: Fragment lengths (images) the fragment share is split at.
LENGTHS = (1, 10, 50)
#: Seed of the fragment split and of the network.
SEED = 0


def ceiling(case: Path) -> dict:
    """The held-out shares of a case (see the module docstring), its animals and the fit's seconds."""
    data = read_identified_images(session_of(case))
    blobs, _ = saved_blobs(case)
    truth = read_ground_truth(case)
    animal = blob_animals(blobs, truth)
    usable = np.flatnonzero(data.is_individual & (animal >= 0) & (data.fragment >= 0))
    fragments = np.unique(data.fragment[usable])
    held_out = np.random.default_rng(SEED).random(len(fragments)) < 0.5
    test = np.isin(data.fragment[usable], fragments[held_out])
    n = truth.positions.shape[1]
    t0 = time.perf_counter()
    classifier = TorchIdentityClassifier(data.images.shape[1], n, seed=SEED)
    classifier.fit(data.images[usable[~test]], animal[usable[~test]])
    log_proba = classifier.log_proba(data.images[usable[test]])
    seconds = time.perf_counter() - t0
    truth_test = animal[usable[test]]
    _, of_fragment = np.unique(data.fragment[usable[test]], return_inverse=True)
    summed = np.zeros((of_fragment.max() + 1, n))
    np.add.at(summed, of_fragment, log_proba)
    fragment_right = summed.argmax(1)[of_fragment] == truth_test
    length_bin = np.digitize(np.bincount(of_fragment)[of_fragment], LENGTHS) - 1
    by_length = [float(fragment_right[length_bin == b].mean()) if (length_bin == b).any() else float("nan")
                 for b in range(len(LENGTHS))]
    return {"case": case.name, "animals": n, "images": int(test.sum()), "fragments": int(held_out.sum()),
            "image": float((log_proba.argmax(1) == truth_test).mean()), "fragment": float(fragment_right.mean()),
            "by_length": by_length, "chance": 1.0 / n, "seconds": seconds}


def _plot(rows: list[dict], path: Path) -> None:
    """Held-out fragment shares per case beside chance."""
    fig, ax = plt.subplots(figsize=(max(6.0, 0.5 * len(rows) + 2), 4))
    x = np.arange(len(rows))
    ax.bar(x - 0.2, [r["image"] for r in rows], 0.4, label="images")
    ax.bar(x + 0.2, [r["fragment"] for r in rows], 0.4, label="fragments (image-weighted)")
    ax.scatter(x, [r["chance"] for r in rows], marker="_", s=400, color="black", label="chance", zorder=3)
    ax.set_xticks(x, [r["case"] for r in rows], rotation=60, ha="right", fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("held-out share named right")
    ax.set_title("Appearance alone, taught the ground truth of half the fragments")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    folders = tracked_cases("appearance_ceiling.py", __doc__.splitlines()[0], "identification_images")
    if not folders:
        raise SystemExit("appearance_ceiling.py: no tracked case with ground truth and identification images in --work")
    bins = [f"{lo}-{hi - 1}" for lo, hi in zip(LENGTHS, LENGTHS[1:])] + [f"{LENGTHS[-1]}+"]
    header = (f"{'case':<30}{'animals':>8}{'images':>8}{'image':>8}{'fragment':>10}"
              + "".join(f"{b:>8}" for b in bins) + f"{'chance':>8}{'fit_s':>7}")
    print("held-out share named right (fragment columns by fragment length, images)")
    print(header)
    rows = []
    for folder in folders:
        row = ceiling(folder)
        rows.append(row)
        print(f"{row['case']:<30}{row['animals']:>8}{row['images']:>8}{row['image']:>8.3f}{row['fragment']:>10.3f}"
              + "".join(f"{v:>8.3f}" for v in row["by_length"]) + f"{row['chance']:>8.3f}{row['seconds']:>7.1f}",
              flush=True)
    path = folders[0].parent / "appearance_ceiling.png"
    _plot(rows, path)
    print(f"chart: {path}")


if __name__ == "__main__":
    main()
