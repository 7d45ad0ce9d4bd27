"""How far motion's ways through crossings can be trusted, by crossing length, on tracked sessions.

Usage: python bench/motion_ways.py [--work DIR] [CASE ...]

Motion joins fragments through a crossing for sure at ``MIN_JOIN_PROBABILITY`` and passes
identities through the others; both rest on its posteriors being honest. For each rendered case
``bench/accuracy.py`` tracked, the blobs its session saved are joined again by this checkout's
motion code (``join_by_motion``, over the whole video). A crossing group of 2 to
``MAX_EXACT_GROUP`` fragments each way is read where the ground truth names every fragment's
animal at the end that meets the crossing (exactly one animal within half a body length of that
blob: a blob of an animal and part of another names none) and its entering and leaving fragments
hold the same animals, each once. The way read is the one the pipeline would join: the most likely
one-to-one way (``best_way``); for each entering fragment, its posterior and whether it leads to
the animal's own fragment (a swap of two animals counts as two wrong ways). Prints, per crossing
length (frames from the first entering fragment's last frame to the last leaving fragment's first,
so a crossing of c frames is c + 1 long) and posterior band, the ways, the wrong ones their
posteriors expect (the sum of 1 - p) and the wrong ones found; the summed log-loss of the true ways
motion gives a posterior above 0, and how many it rules out (posterior 0); and how many groups no
ground truth could name. Draws the wrong ways at ``SURE`` and more into ``--work/motion_ways.png``.
Reads the sessions only; tracks nothing.
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
from idtracker.application.motion_joins import JoinedFragments, join_by_motion  # noqa: E402
from idtracker.application.segmentation import SegmentedVideo  # noqa: E402
from idtracker.domain.crossing_groups import CrossingGroup  # noqa: E402
from idtracker.domain.fragments import build_fragments  # noqa: E402
from idtracker.domain.motion import MAX_EXACT_GROUP, join_log_likelihood, join_posterior  # noqa: E402
from idtracker.domain.tracklets import best_way  # noqa: E402

from tracked_cases import blob_animals, saved_blobs, tracked_cases  # noqa: E402  bench/ is the script's own folder

#: Crossing lengths (frames, see the module docstring) the table is split at, and the posterior
#: bands of each row; ``SURE``: the band from which the chart counts wrong ways.
LENGTHS = (1, 4, 8, 13, 21)
BANDS = (0.0, 0.9, 0.99, 0.9999)
SURE = 0.99

#: Per crossing length: its label, per posterior band (ways, wrong expected, wrong found), the
#: summed log-loss of the true ways motion gives a posterior above 0, and how many it rules out.
Row = tuple[str, list[tuple[int, float, int]], float, int]


def case_ways(folder: Path) -> tuple[np.ndarray, int]:
    """((k, 4) per way read: crossing length, posterior of the way joined, 1.0 where it leads to
    the animal's own fragment, posterior of the true way; groups skipped as unnamed) of a case."""
    truth = read_ground_truth(folder)
    blobs, saved = saved_blobs(folder)
    links, individual = saved["links"], saved["is_individual"]
    fragments = build_fragments(blobs.frame, links, individual)
    joined = join_by_motion(fragments, SegmentedVideo(blobs, links, [], np.zeros(0, np.int64), ()),
                            InMemoryEventSink(), number_of_animals=truth.positions.shape[1])
    if joined.model is None:
        print(f"{folder.name}: no motion model (fragments too short to learn one); skipped")
        return np.zeros((0, 4)), 0
    animal = blob_animals(blobs, truth)
    rows, unnamed = [], 0
    for group in joined.groups:
        if not 2 <= len(group.entering) == len(group.leaving) <= MAX_EXACT_GROUP:
            continue
        before = animal[fragments.blob_order[fragments.offsets[1:][group.entering] - 1]]
        after = animal[fragments.first_blobs[group.leaving]]
        if (before < 0).any() or (after < 0).any():
            unnamed += 1
        elif sorted(before) == sorted(after) and len(set(before)) == len(before):
            rows += _group_ways(group, joined, before, after)
    return np.array(rows, np.float64).reshape(-1, 4), unnamed


def _group_ways(group: CrossingGroup, joined: JoinedFragments, before: np.ndarray,
                after: np.ndarray) -> list[tuple[float, float, float, float]]:
    """The ways through one crossing group, as ``case_ways`` rows; ``before``/``after``: the
    animal of each entering and leaving fragment."""
    log_likelihood = join_log_likelihood(joined.model, joined.ends, group.entering, group.leaving)
    posterior = join_posterior(log_likelihood)
    length = float(joined.ends.first_frame[group.leaving].max() - joined.ends.last_frame[group.entering].min())
    own = after[None, :] == before[:, None]
    rows, cols = best_way(log_likelihood)
    return [(length, posterior[r, c], float(own[r, c]), float(posterior[r][own[r]][0])) for r, c in zip(rows, cols)]


def table(ways: np.ndarray) -> list[Row]:
    """The printed table (``Row``) of the ways of every case."""
    out = []
    edges = list(LENGTHS) + [math.inf]
    for low, high in zip(edges[:-1], edges[1:]):
        mine = ways[(ways[:, 0] >= low) & (ways[:, 0] < high)]
        bands = []
        for floor, ceiling in zip(BANDS, list(BANDS[1:]) + [math.inf]):
            band = mine[(mine[:, 1] >= floor) & (mine[:, 1] < ceiling)]
            bands.append((len(band), float((1 - band[:, 1]).sum()), int((1 - band[:, 2]).sum())))
        label = f"{low}-{high - 1}" if math.isfinite(high) else f"{low}+"
        possible = mine[:, 3] > 0
        out.append((label, bands, float(-np.log(mine[possible, 3]).sum()), int((~possible).sum())))
    return out


def _band_label(index: int) -> str:
    return f"p >= {BANDS[index]}" if index == len(BANDS) - 1 else f"{BANDS[index]} <= p < {BANDS[index + 1]}"


def _plot(rows: list[Row], path: Path) -> None:
    """Wrong ways expected and found among those motion gives ``SURE`` or more, per crossing length."""
    sure = BANDS.index(SURE)
    expected = [sum(b[1] for b in bands[sure:]) for _, bands, _, _ in rows]
    found = [sum(b[2] for b in bands[sure:]) for _, bands, _, _ in rows]
    x = np.arange(len(rows))
    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.bar(x - 0.2, expected, 0.4, label="expected from the posteriors")
    axis.bar(x + 0.2, found, 0.4, label="found (ground truth)")
    axis.set_xticks(x, [label for label, _, _, _ in rows])
    axis.set_ylim(0, max(expected + found + [1.0]) * 1.35)
    axis.set_xlabel("crossing length, frames (last frame before to first after)")
    axis.set_ylabel(f"wrong ways at posterior >= {SURE}")
    axis.legend(loc="upper left")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main() -> None:
    folders = tracked_cases("motion_ways.py", __doc__.splitlines()[0], "preprocessing/blobs.npz")
    if not folders:
        raise SystemExit("motion_ways.py: no tracked rendered case with ground truth in --work; run bench/accuracy.py")
    read = [case_ways(folder) for folder in folders]
    ways = np.concatenate([w for w, _ in read] + [np.zeros((0, 4))])
    print(f"{len(folders)} cases, {len(ways)} ways read, {sum(u for _, u in read)} groups skipped: an end no ground "
          "truth names (per band: ways / wrong expected / wrong found)")
    print(f"{'length':>7s}  " + "  ".join(f"{_band_label(i):>22s}" for i in range(len(BANDS)))
          + f"  {'log-loss':>9s}  {'ruled out':>9s}")
    rows = table(ways)
    for label, cells, loss, impossible in rows:
        print(f"{label:>7s}  " + "  ".join(f"{n:8d} {e:6.1f} {w:6d}" for n, e, w in cells)
              + f"  {loss:9.1f}  {impossible:9d}")
    path = folders[0].parent / "motion_ways.png"
    _plot(rows, path)
    print(f"chart: {path}")


if __name__ == "__main__":
    main()
