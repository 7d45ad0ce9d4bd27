"""Identity scores of tracked trajectories against a reference.

Two views of the same question, "is each animal still called by its own name?":

* Identity accuracy, the project's yardstick, defined by ``shared/tools/score.py``: output ids are
  mapped one-to-one to reference ids by the assignment with the most co-located animal-frames
  (within ``radius_fraction`` body lengths); an animal-frame is right when its mapped output lies
  within that radius. Reported on individual frames (not touching another animal) and on all.
* IDF1 (Ristani et al. 2016), the standard multi-object-tracking identity score, at a distance
  gate: 2 IDTP / (2 IDTP + IDFP + IDFN) under the one-to-one id mapping that maximises IDTP.

Arrays are (F, N, 2) float (x, y) in px with NaN where an animal is absent.
"""

from __future__ import annotations

import attrs
import numpy as np
from idtracker.domain.ground_truth import GroundTruth
from scipy.optimize import linear_sum_assignment

#: Body length assumed when neither the reference nor the output knows it (as score.py does).
DEFAULT_BODY_LENGTH = 40.0
#: Frames per block when comparing all output ids with all reference ids: bounds memory at 100 animals.
_BLOCK = 256


@attrs.frozen
class IdentityAccuracy:
    """Identity accuracy as ``score.py`` reports it.

    Attributes:
        frames: frames compared (the shorter of reference and output).
        animals_ref: reference animals.
        animals_out: output identities.
        radius_px: distance gate, px (rounded to 0.01 like score.py).
        acc_individual: right / reference animal-frames not touching another (NaN if none).
        acc_all: right / all reference animal-frames.
        assigned_precision: right / output positions lying near some reference animal.
        coverage: reference animal-frames with some output position near them.
        touching_fraction: reference animal-frames touching another animal.
        mapping: (output id, reference id) pairs of the best one-to-one mapping.
    """

    frames: int
    animals_ref: int
    animals_out: int
    radius_px: float
    acc_individual: float
    acc_all: float
    assigned_precision: float
    coverage: float
    touching_fraction: float
    mapping: tuple[tuple[int, int], ...]

    def as_dict(self) -> dict[str, float | int]:
        """The numbers under score.py's names, for tables and JSON."""
        return {k: v for k, v in attrs.asdict(self).items() if k != "mapping"}


@attrs.frozen
class IdentityF1:
    """IDF1 and its parts at one distance gate.

    Attributes:
        threshold_px: an output matches a reference animal within this distance, px.
        idf1: 2 IDTP / (2 IDTP + IDFP + IDFN).
        idp: IDTP / output detections.
        idr: IDTP / reference detections.
        idtp: detections matched under the global id mapping.
        idfp: output detections left unmatched.
        idfn: reference detections left unmatched.
    """

    threshold_px: float
    idf1: float
    idp: float
    idr: float
    idtp: int
    idfp: int
    idfn: int


@attrs.frozen
class TrackingScore:
    """Everything a benchmark reports about identities: accuracy, IDF1 at 1 and 0.5 body lengths."""

    accuracy: IdentityAccuracy
    idf1_one_body: IdentityF1
    idf1_half_body: IdentityF1


def _co_location(reference: np.ndarray, output: np.ndarray, radius: float) -> np.ndarray:
    """(F, K, N) bool, output k lies closer than ``radius`` to reference animal n (score.py's test)."""
    near = np.empty((len(reference), output.shape[1], reference.shape[1]), bool)
    for start in range(0, len(reference), _BLOCK):
        ref, out = reference[start:start + _BLOCK], output[start:start + _BLOCK]
        distance = np.linalg.norm(out[:, :, None, :] - ref[:, None, :, :], axis=-1)
        near[start:start + _BLOCK] = np.where(np.isnan(distance), np.inf, distance) < radius
    return near


@attrs.frozen
class Matching:
    """Output ids matched one-to-one to reference animals by the most co-located animal-frames.

    Attributes:
        near: (F, K, N) bool, output id k lies within the radius of animal n.
        correct: (F, N) bool, animal n's matched output id lies near it.
        mapping: (output id, animal) pairs.
    """

    near: np.ndarray
    correct: np.ndarray
    mapping: tuple[tuple[int, int], ...]

    def output_correct(self) -> np.ndarray:
        """(F, K) bool: output id k lies near the animal it is matched to (False for an id matched
        to none): right as an identity the output gives, where ``correct`` is right as an animal."""
        right = np.zeros(self.near.shape[:2], bool)
        if self.mapping:
            ids, animals = (list(column) for column in zip(*self.mapping))
            right[:, ids] = self.near[:, ids, animals]
        return right


def match_identities(reference: np.ndarray, output: np.ndarray, radius: float) -> Matching:
    """score.py's matching of ``output`` (F, K, 2) to ``reference`` (F, N, 2), as many frames each."""
    near = _co_location(reference, output, radius)
    rows, cols = linear_sum_assignment(-near.sum(0))
    correct = np.zeros(reference.shape[:2], bool)
    correct[:, cols] = near[:, rows, cols]
    return Matching(near, correct, tuple((int(k), int(n)) for k, n in zip(rows, cols)))


def identity_accuracy(reference: np.ndarray, touching: np.ndarray, body_length: float | None,
                      output: np.ndarray, radius_fraction: float = 0.5) -> IdentityAccuracy:
    """Identity accuracy of ``output`` (F', K, 2) against ``reference`` (F, N, 2), as score.py defines it.

    Args:
        reference: (F, N, 2) float true positions, NaN when absent.
        touching: (F, N) bool, the reference animal touches another in that frame.
        body_length: px; None falls back to ``DEFAULT_BODY_LENGTH``.
        output: (F', K, 2) float tracked positions, NaN when absent.
        radius_fraction: distance gate in body lengths.
    """
    frames = min(len(reference), len(output))
    reference = np.asarray(reference, float)[:frames]
    output = np.asarray(output, float)[:frames]
    touching = np.asarray(touching, bool)[:frames]
    radius = radius_fraction * (DEFAULT_BODY_LENGTH if body_length is None else body_length)
    matching = match_identities(reference, output, radius)
    near, correct = matching.near, matching.correct
    present = ~np.isnan(reference[..., 0])
    individual = present & ~touching
    near_any = near.any(2) & ~np.isnan(output[..., 0])
    return IdentityAccuracy(
        frames=int(frames), animals_ref=int(reference.shape[1]), animals_out=int(output.shape[1]),
        radius_px=round(radius, 2),
        acc_individual=float(correct[individual].mean()) if individual.any() else float("nan"),
        acc_all=float(correct[present].mean()),
        assigned_precision=float(correct.sum() / max(near_any.sum(), 1)),
        coverage=float(near.any(1)[present].mean()),
        touching_fraction=float(touching[present].mean()),
        mapping=matching.mapping)


def identity_f1(reference: np.ndarray, output: np.ndarray, threshold_px: float) -> IdentityF1:
    """IDF1 of ``output`` (F', K, 2) against ``reference`` (F, N, 2) with a distance gate.

    Scored over the reference's frames: output frames beyond them are ignored, missing ones count as
    misses. A pair matches in a frame when both are present and ``distance <= threshold_px`` (the
    gate motmetrics applies to squared distances).
    """
    reference = np.asarray(reference, float)
    output = np.asarray(output, float)[:len(reference)]
    if len(output) < len(reference):
        missing = np.full((len(reference) - len(output), *output.shape[1:]), np.nan)
        output = np.concatenate([output, missing])
    counts = np.zeros((output.shape[1], reference.shape[1]), np.int64)
    for start in range(0, len(reference), _BLOCK):
        ref, out = reference[start:start + _BLOCK], output[start:start + _BLOCK]
        d2 = ((out[:, :, None, :] - ref[:, None, :, :]) ** 2).sum(-1)
        counts += (d2 <= threshold_px**2).sum(0)
    rows, cols = linear_sum_assignment(-counts)
    idtp = int(counts[rows, cols].sum())
    n_ref = int((~np.isnan(reference[..., 0])).sum())
    n_out = int((~np.isnan(output[..., 0])).sum())
    return IdentityF1(
        threshold_px=float(threshold_px), idf1=2 * idtp / max(n_ref + n_out, 1),
        idp=idtp / max(n_out, 1), idr=idtp / max(n_ref, 1),
        idtp=idtp, idfp=n_out - idtp, idfn=n_ref - idtp)


def score_tracking(truth: GroundTruth, output: np.ndarray, radius_fraction: float = 0.5) -> TrackingScore:
    """Identity accuracy and IDF1 at 1 and 0.5 body lengths of ``output`` (F, K, 2) against ``truth``."""
    return TrackingScore(
        accuracy=identity_accuracy(truth.positions, truth.touching, truth.body_length, output, radius_fraction),
        idf1_one_body=identity_f1(truth.positions, output, truth.body_length),
        idf1_half_body=identity_f1(truth.positions, output, 0.5 * truth.body_length))
