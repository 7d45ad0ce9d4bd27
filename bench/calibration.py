"""Whether the identity probabilities of sessions ``bench/accuracy.py`` tracked keep their promise.

Usage: python bench/calibration.py [--work DIR] [CASE ...]

``estimated_accuracy`` must be within a point of the measured accuracy (issue 11), and it is the
mean of the identities' probabilities: this table says which probabilities break the promise. For
each rendered case (ground truth needed), over every position the output gives an identity
(``id_probabilities`` where the identity is present), identities matched to animals as score.py
does, an identity being right where its animal lies within half a body length: the session's
estimate; the mean probability of those identity-frames (the same promise per position: the
estimate weighs fragments by their images, before impossible jumps are corrected, so the two differ
a little) and the fraction of them that is right; the calibration error (how far each probability
bin's right fraction is from its mean probability, weighted by its identity-frames); the
identity-frames given 0.999 or more: their share and the fraction of them that is right; and how
much of the session's own identity model's margin (labelled identity over the best other, on its
individual images) all images of a fragment share (``fragment_correlation``, from the session's
labels, no ground truth): a fragment is worth at most 1 / that many independent looks, however many
images it has. Draws
every case's wrong fraction per probability bin into ``--work/calibration.png``. Reads the sessions only; tracks
nothing.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from idtracker.adapters.identification.transfer_model import ModelUnusable, load_transfer_model  # noqa: E402
from idtracker.adapters.storage.ground_truth_file import read_ground_truth  # noqa: E402
from idtracker.adapters.storage.session_images import read_identified_images, read_session_json  # noqa: E402
from idtracker.adapters.storage.trajectory_files import read_trajectories  # noqa: E402
from idtracker.application.errors import UserError  # noqa: E402
from idtracker.domain.calibration import EDGES, Reliability, fragment_correlation, label_margins, reliability  # noqa: E402
from idtracker.domain.scoring import DEFAULT_BODY_LENGTH, match_identities  # noqa: E402
from tracked_cases import session_of, tracked_cases  # noqa: E402  (bench/ is the script's own folder)

#: Probability from which an identity counts as sure in the table (a bin edge).
SURE = EDGES[-3]
#: Distance gate in body lengths, as ``acc_individual``.
RADIUS_FRACTION = 0.5


def case_reliability(folder: Path, session: Path) -> tuple[float | None, Reliability]:
    """(the session's estimated_accuracy, the reliability of its identities) of the case in ``folder``."""
    truth = read_ground_truth(folder)
    data = read_trajectories(session)
    frames = min(len(truth.positions), len(data["trajectories"]))
    body = truth.body_length if truth.body_length is not None else DEFAULT_BODY_LENGTH
    matching = match_identities(truth.positions[:frames], data["trajectories"][:frames], RADIUS_FRACTION * body)
    probability = np.asarray(data["id_probabilities"], float)[:frames, :, 0].copy()
    probability[np.isnan(data["trajectories"][:frames, :, 0])] = np.nan  # absent: written as 0, no identity given
    estimate = read_session_json(session).get("estimated_accuracy")
    return estimate, reliability(probability, matching.output_correct())


def shared_margin(session: Path) -> float:
    """``fragment_correlation`` of the session's identity model on its labelled individual images
    (NaN where the model or the images were not kept)."""
    try:
        model = load_transfer_model(session)
        identified = read_identified_images(session)
    except (ModelUnusable, UserError):
        return float("nan")
    labelled = np.flatnonzero(identified.is_individual & (identified.identity > 0))
    margin = label_margins(model.log_proba(identified.images[labelled]), identified.identity[labelled] - 1)
    return fragment_correlation(margin, identified.fragment[labelled])


def _row(name: str, estimate: float | None, table: Reliability, shared: float) -> str:
    """One line of the table (the header in ``main``)."""
    sure = table.edges[:-1] >= SURE
    n_sure = int(table.count[sure].sum())
    right_sure = float(np.nansum(table.right_fraction[sure] * table.count[sure]) / max(n_sure, 1))
    shown = f"{estimate:.4f}" if estimate is not None else "   -  "
    return (f"{name:24s} {shown:>8s} {table.estimated:8.4f} {table.measured:8.4f} {table.calibration_error:7.4f} "
            f"{n_sure / max(table.count.sum(), 1):8.3f} {right_sure:8.4f} {shared:7.3f}")


def _plot(rows: list[tuple[str, Reliability]], path: Path) -> None:
    """Per probability bin, each case's fraction of wrong identities (a dot, its area the bin's share
    of the case's identities) beside the fraction its probabilities promised (a dash, same colour)."""
    figure, axis = plt.subplots(figsize=(9, 5))
    edges = rows[0][1].edges
    for c, (name, table) in enumerate(rows):
        filled = np.flatnonzero(table.count > 0)
        x = filled + (c - (len(rows) - 1) / 2) * 0.6 / max(len(rows), 1)
        share = table.count[filled] / table.count.sum()
        dots = axis.scatter(x, 1 - table.right_fraction[filled], s=20 + 300 * share, alpha=0.7, label=name)
        axis.scatter(x, 1 - table.mean_probability[filled], marker="_", s=120, color=dots.get_facecolor()[0])
    labels = [f"[{a:g}, {b:g})" for a, b in zip(edges[:-1], edges[1:])]
    axis.set_xticks(range(len(labels)), labels[:-1] + [labels[-1][:-1] + "]"])
    axis.set(xlabel="probability given to the identity", ylabel="fraction of identities wrong",
             title="Identity probabilities: dots = wrong, dashes = promised wrong (1 - mean probability)")
    axis.set_ylim(-0.02, 1.02)
    axis.legend(fontsize=6, ncol=2, loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main() -> None:
    folders = tracked_cases("calibration.py", __doc__.splitlines()[0], "session.json")
    print(f"{'case':24s} {'estimate':>8s} {'mean_p':>8s} {'right':>8s} {'ECE':>7s} {'p>=.999':>8s} {'sure_ok':>8s} {'shared':>7s}")
    rows: list[tuple[str, Reliability]] = []
    for folder in folders:
        session = session_of(folder)
        try:
            estimate, table = case_reliability(folder, session)
        except UserError as error:  # a session still being tracked, or one that failed
            print(f"{folder.name:24s} not scored: {error}")
            continue
        print(_row(folder.name, estimate, table, shared_margin(session)))
        rows.append((folder.name, table))
    if rows:
        chart = folders[0].parent / "calibration.png"  # in --work, beside its cases
        _plot(rows, chart)
        print(f"chart: {chart}")


if __name__ == "__main__":
    main()
