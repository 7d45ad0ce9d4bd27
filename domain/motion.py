"""Motion as evidence: how likely the animal that entered a crossing is the one that left it.

An animal keeps moving while it is hidden in a crossing: the fragment that leaves is, with a
probability that depends on how far and how fast they went, the one whose motion it continues.
Every quantity is learnt from this video's own individual fragments, where identity is certain,
so nothing depends on body length, frame rate or pixel size:

- position: a constant-velocity prediction over a lag of d frames misses by a residual whose
  scale grows with d; the scale is measured on the fragments at several lags and fitted as a
  power law (Student-t residuals: animals turn and burst, so tails are heavy);
- velocity: how much the velocity changes over d frames, learnt the same way;
- size: the log-area of the same animal in two windows of its fragment differs by the blob
  noise of each window plus a slow drift, both measured on long fragments (Student-t too: an
  animal half hidden by another, or bending, changes its blob's area far more than that noise).

A join's log-likelihood compares the two ends meeting halfway through the gap; the posterior of
each way of connecting a crossing's entering to its leaving fragments follows from the sum over
its joins (exact over the permutations of small groups, Sinkhorn-balanced for large ones).
"""

from __future__ import annotations

import itertools
import math

import attrs
import numpy as np

from .fragments import Fragments

#: Frames a velocity is measured over at a fragment end (fewer on shorter fragments).
VELOCITY_WINDOW = 3
#: Blobs whose areas stand for a fragment end's size.
AREA_WINDOW = 8
#: Degrees of freedom of the Student-t residuals (heavy tails: turns and bursts in a crossing).
T_DOF = 3.0
#: Lags (frames) the noise is measured at; each needs this many samples to count.
LAGS = (1, 2, 3, 5, 8, 13, 21, 34, 55, 89)
MIN_SAMPLES = 30
#: Samples per lag at most (spread over the whole video), enough for a robust scale.
MAX_SAMPLES = 20000
#: Groups up to this size are solved over all permutations; larger ones are Sinkhorn-balanced.
MAX_EXACT_GROUP = 6


@attrs.frozen
class PowerLaw:
    """A scale s(d) = a * d ** p in pixels (or px/frame), from the lags it was measured at."""

    a: float
    p: float

    def __call__(self, lag: np.ndarray | float) -> np.ndarray:
        return self.a * np.maximum(np.asarray(lag, np.float64), 0.5) ** self.p


@attrs.frozen
class MotionModel:
    """The noise of this video's motion, learnt from its individual fragments.

    Attributes:
        moving: residual scale (px, per axis) of a constant-velocity prediction d frames ahead.
        still: residual scale of predicting "no move" (fragment ends too short for a velocity).
        turning: scale (px/frame, per axis) of the velocity change over d frames.
        area_blob: std of one blob's log-area around its fragment's local mean.
        area_drift: std of the slow drift of an animal's log-area along a fragment.
        arena_area: px^2 where the animals are seen (central 98 % of the blob centroids).
        velocity_spread: per-axis scale (px/frame) of the animals' velocities.
        size_spread: std of the animals' log-areas between fragments.
        position_inflation, turning_inflation: how much larger the residuals are across a
            crossing than in free motion (animals that touch turn and burst), see ``calibrated``.
    """

    moving: PowerLaw
    still: PowerLaw
    turning: PowerLaw
    area_blob: float
    area_drift: float
    arena_area: float
    velocity_spread: float
    size_spread: float
    position_inflation: float = 1.0
    turning_inflation: float = 1.0


@attrs.frozen
class FragmentEnds:
    """Position, velocity and size at both ends of every fragment (NaN velocity: too short).

    Attributes:
        first_position, last_position: (F, 2) centroids of the first and last blob.
        first_velocity, last_velocity: (F, 2) px/frame over the first and last frames.
        first_log_area, last_log_area: (F,) mean log-area of the first and last blobs.
        area_count: (F,) blobs each of those means is over (the same at both ends).
        first_frame, last_frame: (F,) frames of the first and last blob.
    """

    first_position: np.ndarray
    last_position: np.ndarray
    first_velocity: np.ndarray
    last_velocity: np.ndarray
    first_log_area: np.ndarray
    last_log_area: np.ndarray
    area_count: np.ndarray
    first_frame: np.ndarray
    last_frame: np.ndarray


def fragment_ends(fragments: Fragments, centroid: np.ndarray, area: np.ndarray) -> FragmentEnds:
    """The motion state at both ends of every fragment, vectorised over fragments."""
    lo, hi = fragments.offsets[:-1], fragments.offsets[1:] - 1
    order = fragments.blob_order
    position = centroid[order]
    log_area = np.log(np.maximum(area[order], 1.0))
    cumulative = np.concatenate([[0.0], np.cumsum(log_area)])
    window = np.minimum(VELOCITY_WINDOW, hi - lo)
    span = np.maximum(window, 1)[:, None]
    first_velocity = np.where(window[:, None] > 0, (position[lo + window] - position[lo]) / span, np.nan)
    last_velocity = np.where(window[:, None] > 0, (position[hi] - position[hi - window]) / span, np.nan)
    count = np.minimum(AREA_WINDOW, hi - lo + 1)
    first_area = (cumulative[lo + count] - cumulative[lo]) / np.maximum(count, 1)
    last_area = (cumulative[hi + 1] - cumulative[hi + 1 - count]) / np.maximum(count, 1)
    return FragmentEnds(position[lo], position[hi], first_velocity, last_velocity, first_area, last_area, count,
                        fragments.start, fragments.stop - 1)


def learn_motion(fragments: Fragments, centroid: np.ndarray, area: np.ndarray,
                 rng: np.random.Generator | None = None) -> MotionModel | None:
    """The motion noise of this video, or None when its individual fragments are too short to tell."""
    rng = rng or np.random.default_rng(0)
    order = fragments.blob_order
    owner = fragments.of_blob[order]
    position = centroid[order]
    individual = fragments.is_individual[owner]
    w = VELOCITY_WINDOW
    moving, still, turning = [], [], []
    for lag in LAGS:
        t = _same_fragment(owner, individual, -w, lag + w)
        if len(t) < MIN_SAMPLES:
            break
        if len(t) > MAX_SAMPLES:
            t = rng.choice(t, MAX_SAMPLES, replace=False)
        velocity = (position[t] - position[t - w]) / w
        ahead = position[t + lag]
        moving.append((lag, _scale(ahead - position[t] - velocity * lag)))
        still.append((lag, _scale(ahead - position[t])))
        later_velocity = (position[t + lag + w] - position[t + lag]) / w
        turning.append((lag, _scale(later_velocity - velocity)))
    if len(moving) < 2:
        return None
    log_area = np.log(np.maximum(area, 1.0))
    blob_sd, drift_sd = _area_noise(fragments, log_area)
    t = _same_fragment(owner, individual, -w, 0)
    low, high = np.percentile(centroid, [1, 99], axis=0)
    spans = np.maximum(high - low, 1.0)
    counts = np.bincount(owner[individual], minlength=len(fragments))
    means = np.bincount(owner[individual], log_area[order][individual], minlength=len(fragments))[counts > 0]
    means = means / counts[counts > 0]
    return MotionModel(_fit(moving), _fit(still), _fit(turning), blob_sd, drift_sd, float(spans[0] * spans[1]),
                       _scale((position[t] - position[t - w]) / w), float(max(np.std(means), 1e-3)))


def _same_fragment(owner: np.ndarray, individual: np.ndarray, before: int, after: int) -> np.ndarray:
    """Positions t in blob order whose t + before .. t + after all lie in one individual fragment
    (a fragment's blobs are consecutive frames, so offsets are lags)."""
    n = len(owner)
    t = np.arange(max(-before, 0), max(n - after, 0))
    return t[(owner[t + before] == owner[t]) & (owner[t + after] == owner[t]) & individual[t]]


def _scale(residual: np.ndarray) -> float:
    """Robust per-axis scale of 2D residuals (median absolute deviation, Gaussian-consistent)."""
    return float(max(1.4826 * np.median(np.abs(residual - np.median(residual, axis=0))), 1e-3))


def _fit(points: list[tuple[int, float]]) -> PowerLaw:
    """Least-squares power law through (lag, scale) points."""
    lags, scales = np.log([p[0] for p in points]), np.log([p[1] for p in points])
    p, log_a = np.polyfit(lags, scales, 1)
    return PowerLaw(float(math.exp(log_a)), float(np.clip(p, 0.0, 2.0)))


def _area_noise(fragments: Fragments, log_area: np.ndarray) -> tuple[float, float]:
    """(blob std, drift std) of an animal's log-area, from the individual fragments long enough
    for two separate windows (defaults to the blob noise alone when none is)."""
    blob_sd, drifts = [], []
    for f in np.flatnonzero(fragments.is_individual & (fragments.n_images >= 2 * AREA_WINDOW)):
        values = log_area[fragments.blobs(f)]
        head, tail = values[:AREA_WINDOW], values[-AREA_WINDOW:]
        blob_sd.append(0.5 * (head.std(ddof=1) + tail.std(ddof=1)))
        drifts.append(head.mean() - tail.mean())
    if not blob_sd:
        return 0.1, 0.0
    blob = float(np.median(blob_sd))
    drift_var = float(np.median(np.square(drifts)) / 0.455) - 2 * blob ** 2 / AREA_WINDOW
    return max(blob, 1e-3), math.sqrt(max(drift_var, 0.0))


def carried_velocities(ends: FragmentEnds, before: np.ndarray, after: np.ndarray) -> FragmentEnds:
    """``ends`` where one-frame fragments, too short for a velocity of their own, take the one
    their sure joins (``before`` -> ``after`` fragment pairs) give them: the displacement from the
    fragment before across the gap, as the velocity it enters the next crossing with, and to the
    fragment after, as the one it left the previous crossing with. Two animals that part for a
    single frame between two touches are otherwise only "somewhere near here" to the next
    crossing, and its joins a coin toss however clearly they crossed over (8 look-alikes: a
    0.49 / 0.51 posterior for an X-shaped crossing whose velocities tell it apart).

    The joins must have been judged without these velocities (on the fragments' own ends). The
    ends returned serve the rest of the pipeline too: a join fusion later overturns leaves the
    velocity it carried in place (it only adds to the evidence of the next crossing's ways)."""
    before, after = np.asarray(before, np.int64), np.asarray(after, np.int64)
    gap = np.maximum(ends.first_frame[after] - ends.last_frame[before], 1)[:, None]
    velocity = (ends.first_position[after] - ends.last_position[before]) / gap
    last, first = ends.last_velocity.copy(), ends.first_velocity.copy()
    into = ~np.isfinite(last[after, 0])
    last[after[into]] = velocity[into]
    out_of = ~np.isfinite(first[before, 0])
    first[before[out_of]] = velocity[out_of]
    return attrs.evolve(ends, first_velocity=first, last_velocity=last)


def _t_logpdf(residual: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Isotropic Student-t log-density (``T_DOF``) of residuals (..., k) with per-axis scales (...)."""
    nu, k = T_DOF, residual.shape[-1]
    r2 = np.sum(residual ** 2, axis=-1) / scale ** 2
    return (math.lgamma((nu + k) / 2) - math.lgamma(nu / 2) - k / 2 * math.log(nu * math.pi)
            - k * np.log(scale) - (nu + k) / 2 * np.log1p(r2 / nu))


def join_log_likelihood(model: MotionModel, ends: FragmentEnds, entering: np.ndarray,
                        leaving: np.ndarray) -> np.ndarray:
    """(len(entering), len(leaving)) log-likelihood that each entering fragment continues as each
    leaving one (``pair_log_likelihood`` of every pair)."""
    return pair_log_likelihood(model, ends, np.asarray(entering)[:, None], np.asarray(leaving)[None, :])


def pair_log_likelihood(model: MotionModel, ends: FragmentEnds, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Log-likelihood that fragment ``before`` continues as the later fragment ``after`` (index
    arrays, broadcast together): where their ends meet halfway through the gap, how their
    velocities differ, and how their sizes differ; -inf where ``after`` does not start after
    ``before`` ends (a fragment that leaves a crossing group and enters it again is on both sides).

    Every term is a Student-t, the size's too. With the Gaussian the size term had, a blob that
    lost a fifth of its area across a crossing (an animal half hidden, or bent), or a one-frame
    blob that still held part of another animal, cost the true way 4-11 nats, which motion then
    gave to another animal: on 8_long (15,000 frames) such a 362 px2 blob, where the animal
    measures ~270, made a sure wrong join (0.9990 on individual frames; 1.0000 with the t).

    Re-joined with ``bench/motion_ways.py`` on 47 tracked bench sessions (8 to 100 animals, the
    small look-alikes on seeds 0-8, the crowded tank on five seeds; 7,577 ways through crossings of
    2-6 known animals): log-loss of the true ways 663.9 -> 477.0; wrong among the ways given
    0.9999 or more (joined for sure) 4 of 5,762 -> 0 of 5,637, between 0.99 and 0.9999 17 of 868
    -> 6 of 939 (about 2 expected). Dropping the size term altogether was worse on the first 26
    sessions (143.8 against 140.5). End to end on 28 videos (the small look-alikes on seeds 0-8
    and 8_long) individual-frame accuracy rose 0.4 points on average: 3 videos gained 6-9 points
    and 8_long 0.1, 6 lost 0.1-4 (fewer joins made for sure, or the fusion weighing appearance
    otherwise: on these videos one join or one weight flips a swap), 18 were unchanged. Tracking
    without identities (slots by motion alone) on the 9 look-alike videos of seeds 0-2: 0.9604 ->
    0.9582 on average (2 up to 2 points, 3 down up to 2, 4 unchanged)."""
    position, turn, both = _residuals(model, ends, before, after)
    total = (_t_logpdf(position[0], position[1] * model.position_inflation)
             + np.where(both, _t_logpdf(turn[0], turn[1] * model.turning_inflation), 0.0))
    size_var = (model.area_blob ** 2 * (1 / ends.area_count[before] + 1 / ends.area_count[after])
                + model.area_drift ** 2)
    size = ends.first_log_area[after] - ends.last_log_area[before]
    total = total + _t_logpdf(size[..., None], np.sqrt(size_var))
    return np.where(ends.first_frame[after] > ends.last_frame[before], total, -np.inf)


def _residuals(model: MotionModel, ends: FragmentEnds, before: np.ndarray, after: np.ndarray):
    """((position residual, its free-motion scale), (velocity change, its scale), velocities known)
    of joining ``before`` to ``after``: their ends extrapolated to meet halfway through the gap."""
    d = np.maximum(ends.first_frame[after] - ends.last_frame[before], 1).astype(np.float64)
    v_in, v_out = ends.last_velocity[before], ends.first_velocity[after]
    known_in, known_out = np.isfinite(v_in[..., 0]), np.isfinite(v_out[..., 0])
    half = d / 2
    ahead = ends.last_position[before] + np.where(known_in[..., None], v_in, 0) * half[..., None]
    behind = ends.first_position[after] - np.where(known_out[..., None], v_out, 0) * half[..., None]
    scale_in = np.where(known_in, model.moving(half), model.still(half))
    scale_out = np.where(known_out, model.moving(half), model.still(half))
    both = known_in & known_out
    turn = np.where(both[..., None], v_out - v_in, 0)
    return (ahead - behind, np.hypot(scale_in, scale_out)), (turn, model.turning(d + VELOCITY_WINDOW)), both


def calibrated(model: MotionModel, ends: FragmentEnds, entering: np.ndarray, leaving: np.ndarray) -> MotionModel:
    """The model with its scales inflated to the residuals of the most likely joins through this
    video's crossings (``entering``/``leaving``: those joins' fragment pairs). Free motion
    underrates what happens while animals touch; a robust scale of the normalised residuals of
    these joins measures by how much (a few wrong joins among them barely move a median). Never
    deflated; unchanged with fewer than ``MIN_SAMPLES`` joins."""
    if len(entering) < MIN_SAMPLES:
        return model
    position, turn, both = _residuals(model, ends, entering, leaving)
    inflation = max(_scale(position[0] / position[1][:, None]), 1.0)
    turning = max(_scale(turn[0][both] / turn[1][both][:, None]), 1.0) if both.sum() >= MIN_SAMPLES else 1.0
    return attrs.evolve(model, position_inflation=inflation, turning_inflation=turning)


def unrelated_log_likelihood(model: MotionModel, ends: FragmentEnds, before: np.ndarray,
                             after: np.ndarray) -> np.ndarray:
    """Log-likelihood of the same measurements as ``pair_log_likelihood`` when ``after`` is some
    other animal: anywhere in the arena, with any animal's velocity and size. Their difference is
    the evidence (log-odds) for a join where nothing else (a crossing's bookkeeping) forces one."""
    v_in, v_out = ends.last_velocity[before], ends.first_velocity[after]
    both = np.isfinite(v_in[..., 0]) & np.isfinite(v_out[..., 0])
    velocity = _t_logpdf(np.where(both[..., None], v_out - v_in, 0),
                         np.full(both.shape, math.sqrt(2) * model.velocity_spread))
    size_var = 2 * model.size_spread ** 2 + model.area_blob ** 2 * (
        1 / ends.area_count[before] + 1 / ends.area_count[after])
    size = ends.first_log_area[after] - ends.last_log_area[before]
    return (-math.log(model.arena_area) + np.where(both, velocity, 0.0)
            - 0.5 * size ** 2 / size_var - 0.5 * np.log(2 * math.pi * size_var))


def join_posterior(log_likelihood: np.ndarray) -> np.ndarray:
    """(k, k) probability that entering fragment i left as leaving fragment j, all ways of
    connecting a crossing's k entering to its k leaving fragments a priori equally likely."""
    k = len(log_likelihood)
    if not np.isfinite(log_likelihood).any():
        return np.zeros((k, k))
    if k <= MAX_EXACT_GROUP:
        perms = np.array(list(itertools.permutations(range(k))))
        score = log_likelihood[np.arange(k)[None], perms].sum(1)
        if not np.isfinite(score).any():
            return np.zeros((k, k))
        weight = np.exp(score - score.max())
        posterior = np.zeros((k, k))
        for i in range(k):
            np.add.at(posterior[i], perms[:, i], weight)
        return posterior / weight.sum()
    return _sinkhorn(np.exp(log_likelihood - log_likelihood[np.isfinite(log_likelihood)].max()))


def _sinkhorn(weights: np.ndarray, iterations: int = 1000, tolerance: float = 1e-9) -> np.ndarray:
    """The doubly stochastic scaling of ``weights`` (alternate row and column scaling until rows sum to 1)."""
    m = weights + 1e-300
    for _ in range(iterations):
        m = m / m.sum(0, keepdims=True)
        rows = m.sum(1, keepdims=True)
        m = m / rows
        if np.abs(rows - 1).max() < tolerance:
            break
    return m
