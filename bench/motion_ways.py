"""How far motion's ways through crossings can be trusted, by crossing length, on sessions
``bench/accuracy.py`` tracked.

Usage: python bench/motion_ways.py [--work DIR] [CASE ...]

Motion joins fragments through a crossing for sure at ``MIN_JOIN_PROBABILITY`` and passes
identities through the others; both rest on its posteriors being honest. For each rendered case the
blobs its session saved are joined again by this checkout's motion code (``join_by_motion``), and
every crossing group whose 2 to ``MAX_EXACT_GROUP`` entering individual fragments hold the same
animals as its leaving ones (ground truth: the animal nearest each blob) is read: each entering
fragment's most likely way out, its posterior, and whether it is the animal's own. Prints, per
crossing length (frames from the first entering fragment's end to the last leaving fragment's
start) and posterior band, the ways, the wrong ones their posteriors expect and the wrong ones
found, and the log-loss of the true ways; draws the bands of 0.99 and more into
``--work/motion_ways.png``. Reads the sessions only; tracks nothing.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from idtracker.adapters.events.memory_sink import InMemoryEventSink  # noqa: E402
from idtracker.adapters.storage.ground_truth_file import read_ground_truth  # noqa: E402
from idtracker.application.motion_joins import join_by_motion  # noqa: E402
from idtracker.application.segmentation import SegmentedVideo  # noqa: E402
from idtracker.domain.blobs import BlobTable  # noqa: E402
from idtracker.domain.fragments import build_fragments  # noqa: E402
from idtracker.domain.motion import MAX_EXACT_GROUP, join_log_likelihood, join_posterior  # noqa: E402

from tracked_cases import parse_cases, session_of, tracked_cases  # noqa: E402  bench/ is the script's own folder

#: Crossing lengths (frames) the table is split at, and the posterior bands of each row.
LENGTHS = (1, 4, 8, 13, 21)
BANDS = (0.0, 0.9, 0.99, 0.9999)


def case_ways(folder: Path) -> np.ndarray:
    """(k, 3) per way read in the case: crossing length, posterior of the most likely way out,
    1.0 where it is the animal's own; plus the posterior of the true way (column 3)."""
    truth = read_ground_truth(folder)
    with np.load(session_of(folder) / "preprocessing" / "blobs.npz") as saved:
        blobs = BlobTable(saved["frame"], saved["centroid"], saved["area"], saved["bbox"], saved["contour_points"],
                          saved["contour_offsets"])
        links, individual = saved["links"], saved["is_individual"]
    fragments = build_fragments(blobs.frame, links, individual)
    animal = _fragment_animals(fragments, blobs, truth.positions)
    segmented = SegmentedVideo(blobs, links, [], np.zeros(0, np.int64), ())
    joined = join_by_motion(fragments, segmented, InMemoryEventSink(), number_of_animals=truth.positions.shape[1])
    if joined.model is None:
        return np.zeros((0, 4))
    rows = []
    for group in joined.groups:
        entering = group.entering[fragments.is_individual[group.entering]]
        leaving = group.leaving[fragments.is_individual[group.leaving]]
        if not 2 <= len(entering) == len(leaving) <= MAX_EXACT_GROUP:
            continue
        if sorted(animal[entering]) != sorted(animal[leaving]) or len(set(animal[entering])) < len(entering):
            continue
        posterior = join_posterior(join_log_likelihood(joined.model, joined.ends, entering, leaving))
        length = joined.ends.first_frame[leaving].max() - joined.ends.last_frame[entering].min()
        own = animal[leaving][None, :] == animal[entering][:, None]
        likely = posterior.argmax(1)
        rows += [(length, posterior[r, likely[r]], float(own[r, likely[r]]), posterior[r][own[r]][0])
                 for r in range(len(entering))]
    return np.array(rows, np.float64).reshape(-1, 4)


def _fragment_animals(fragments, blobs: BlobTable, positions: np.ndarray) -> np.ndarray:
    """(F,) the animal most of each fragment's blobs lie nearest to (hidden animals never)."""
    distance = np.linalg.norm(positions[blobs.frame] - blobs.centroid[:, None, :], axis=2)
    nearest = np.where(np.isnan(distance), np.inf, distance).argmin(1)
    return np.array([np.bincount(nearest[fragments.blobs(f)]).argmax() for f in range(len(fragments.start))])


def table(ways: np.ndarray) -> list[tuple[str, list[tuple[int, float, int]], float]]:
    """Per crossing length: its label, per posterior band (ways, wrong expected, wrong found), and
    the log-loss of the true ways."""
    out = []
    edges = list(LENGTHS) + [math.inf]
    for low, high in zip(edges[:-1], edges[1:]):
        mine = ways[(ways[:, 0] >= low) & (ways[:, 0] < high)]
        bands = []
        for floor, ceiling in zip(BANDS, list(BANDS[1:]) + [math.inf]):
            band = mine[(mine[:, 1] >= floor) & (mine[:, 1] < ceiling)]
            bands.append((len(band), float((1 - band[:, 1]).sum()), int((1 - band[:, 2]).sum())))
        label = f"{low}-{high - 1}" if math.isfinite(high) else f"{low}+"
        out.append((label, bands, float(-np.log(np.maximum(mine[:, 3], 1e-12)).sum())))
    return out


def _plot(rows: list[tuple[str, list[tuple[int, float, int]], float]], path: Path) -> None:
    """Wrong ways expected and found among those motion gives 0.99 or more, per crossing length."""
    labels = [label for label, _, _ in rows]
    expected = [sum(b[1] for b in bands[2:]) for _, bands, _ in rows]
    found = [sum(b[2] for b in bands[2:]) for _, bands, _ in rows]
    x = np.arange(len(rows))
    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.bar(x - 0.2, expected, 0.4, label="expected from the posteriors")
    axis.bar(x + 0.2, found, 0.4, label="found (ground truth)")
    axis.set_xticks(x, labels)
    axis.set_xlabel("crossing length, frames")
    axis.set_ylabel("wrong ways at posterior >= 0.99")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main() -> None:
    folders = tracked_cases("motion_ways.py", __doc__.splitlines()[0], "preprocessing/blobs.npz")
    work, _ = parse_cases(__doc__.splitlines()[0])
    ways = np.concatenate([case_ways(folder) for folder in folders] + [np.zeros((0, 4))])
    rows = table(ways)
    bands = "  ".join(f"{'p >= ' + str(b):>22s}" for b in BANDS)
    print(f"{len(folders)} cases, {len(ways)} ways (per band: ways / wrong expected / wrong found)")
    print(f"{'length':>7s}  {bands}  {'log-loss':>9s}")
    for label, cells, loss in rows:
        print(f"{label:>7s}  " + "  ".join(f"{n:8d} {e:6.1f} {w:6d}" for n, e, w in cells) + f"  {loss:9.1f}")
    _plot(rows, work / "motion_ways.png")
    print(f"chart: {work / 'motion_ways.png'}")


if __name__ == "__main__":
    main()
