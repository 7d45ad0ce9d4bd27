"""Fish-like swimming of N animals in an arena: the motion behind rendered test videos.

Rendered videos are only useful as benchmarks if their motion poses the tracker's real problems:
animals that coast, burst and turn sharply, pause, follow the walls and, above all, meet and cross
each other. The model is a few coupled stochastic processes per animal, integrated at the video's
frame rate, so a seed fixes every trajectory and the statistics do not depend on the frame rate.

Units: positions in pixels, speeds in body lengths per second, turn rates in radians per second.
"""

from __future__ import annotations

import attrs
import numpy as np

#: Per-animal preferred cruising speed range (body lengths / s).
CRUISE_SPEED = (0.8, 2.0)
#: Extra speed a burst adds (body lengths / s) and the rate of bursts (per s).
BURST_SPEED = (2.5, 5.0)
BURST_RATE = 0.35
#: Rates of switching from cruising to resting and back (per s): short pauses, mostly swimming.
REST_RATE, WAKE_RATE = 0.04, 0.4
#: Stationary spread (rad/s) and correlation time (s) of spontaneous turning.
TURN_SPREAD, TURN_TIME = 1.2, 0.5
#: Speed relaxation time (s): a burst fades over about this long.
SPEED_TIME = 0.35
#: Wall steering: look-ahead distance and safety margin (body lengths), maximal turn rate (rad/s).
LOOK_AHEAD, WALL_MARGIN, WALL_TURN = 1.0, 0.8, 7.0
#: Weak attraction to the nearest neighbour between these distances (body lengths), at this turn rate.
SOCIAL_RANGE, SOCIAL_TURN = (1.5, 6.0), 0.7
#: Schooling (zones of the classic collective-motion models, body lengths): turn away from neighbours
#: nearer than the first, align with those nearer than the second, close up on those nearer than
#: the third; the largest turn rate these take at full schooling (rad/s), and how strongly a
#: schooling animal's speed follows its neighbours' (per s).
SCHOOL_REPULSION, SCHOOL_ALIGNMENT, SCHOOL_ATTRACTION = 1.0, 4.0, 10.0
SCHOOL_TURN, SCHOOL_SPEED_RATE = 8.0, 1.5


@attrs.frozen
class Arena:
    """Where animals may swim: a circular tank inside the frame, or the whole frame.

    Attributes:
        width: frame width, px.
        height: frame height, px.
        circular: a circular wall centred in the frame; otherwise the frame edges are the walls.
    """

    width: int
    height: int
    circular: bool = True

    @property
    def centre(self) -> np.ndarray:
        return np.array([self.width / 2, self.height / 2])

    @property
    def radius(self) -> float:
        """Inner radius of the circular wall, px (leaves room for drawing the wall)."""
        return 0.46 * min(self.width, self.height)

    def outward(self, points: np.ndarray) -> np.ndarray:
        """(..., 2) unit vectors from ``points`` (..., 2) towards the nearest wall."""
        if self.circular:
            offset = points - self.centre
            return offset / np.maximum(np.linalg.norm(offset, axis=-1, keepdims=True), 1e-9)
        x, y = points[..., 0], points[..., 1]
        gaps = np.stack([x, self.width - x, y, self.height - y], -1)
        normals = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, -1.0], [0.0, 1.0]])
        return normals[gaps.argmin(-1)]

    def clearance(self, points: np.ndarray) -> np.ndarray:
        """(...,) distance in px from ``points`` (..., 2) to the nearest wall, negative outside."""
        if self.circular:
            return self.radius - np.linalg.norm(points - self.centre, axis=-1)
        x, y = points[..., 0], points[..., 1]
        return np.minimum(np.minimum(x, self.width - x), np.minimum(y, self.height - y))


@attrs.frozen
class SwimPaths:
    """Simulated motion of every animal in every frame.

    Attributes:
        positions: (F, N, 2) float64 body-centre positions (x, y), px.
        headings: (F, N) float64 swimming direction, rad (image axes: x right, y down).
        speeds: (F, N) float64 body lengths / s.
        turn_rates: (F, N) float64 rad / s, all causes together; bends the body.
        beat_phases: (F, N) float64 tail-beat phase, rad; advances with speed.
        depths: (F, N) float64 vertical order; the larger one is drawn on top where bodies overlap.
    """

    positions: np.ndarray
    headings: np.ndarray
    speeds: np.ndarray
    turn_rates: np.ndarray
    beat_phases: np.ndarray
    depths: np.ndarray


def _initial_positions(arena: Arena, n: int, body_length: float, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) start positions inside the arena, apart from each other where the arena allows it."""
    inner = WALL_MARGIN * body_length
    chosen: list[np.ndarray] = []
    for _ in range(n):
        best, best_gap = None, -np.inf
        for _ in range(50):
            if arena.circular:
                r = (arena.radius - inner) * np.sqrt(rng.uniform())
                a = rng.uniform(0, 2 * np.pi)
                p = arena.centre + r * np.array([np.cos(a), np.sin(a)])
            else:
                p = rng.uniform([inner, inner], [arena.width - inner, arena.height - inner])
            gap = np.linalg.norm(np.array(chosen) - p, axis=1).min() if chosen else np.inf
            if gap > best_gap:
                best, best_gap = p, gap
            if gap > 1.5 * body_length:
                break
        chosen.append(best)
    return np.array(chosen)


def _wall_turn(arena: Arena, pos: np.ndarray, heading: np.ndarray, speed_px: np.ndarray,
               body_length: float) -> np.ndarray:
    """(N,) turn rate steering each animal away from a wall it is heading into."""
    direction = np.stack([np.cos(heading), np.sin(heading)], -1)
    ahead = pos + direction * (LOOK_AHEAD * body_length + 0.5 * speed_px)[:, None]
    urgency = np.clip(1 - arena.clearance(ahead) / (WALL_MARGIN * body_length), 0, 2)
    inward = arena.centre - pos
    side = np.sign(direction[:, 0] * inward[:, 1] - direction[:, 1] * inward[:, 0])
    return WALL_TURN * urgency * np.where(side == 0, 1.0, side)


def _social_turn(pos: np.ndarray, heading: np.ndarray, body_length: float) -> np.ndarray:
    """(N,) gentle turn towards the nearest neighbour, so that animals meet and cross now and then."""
    if len(pos) < 2:
        return np.zeros(len(pos))
    delta = pos[None, :, :] - pos[:, None, :]
    dist = np.linalg.norm(delta, axis=-1)
    np.fill_diagonal(dist, np.inf)
    nearest = dist.argmin(1)
    gap = dist[np.arange(len(pos)), nearest] / body_length
    to_other = np.arctan2(delta[np.arange(len(pos)), nearest, 1], delta[np.arange(len(pos)), nearest, 0])
    bearing = np.angle(np.exp(1j * (to_other - heading)))
    active = (gap > SOCIAL_RANGE[0]) & (gap < SOCIAL_RANGE[1])
    return SOCIAL_TURN * np.sin(bearing) * active


def _schooling_turn(pos: np.ndarray, heading: np.ndarray, body_length: float) -> np.ndarray:
    """(N,) turn rate of full schooling: away from the neighbours within ``SCHOOL_REPULSION`` where
    there are any, else towards the mean heading of those within ``SCHOOL_ALIGNMENT`` and the centre
    of those within ``SCHOOL_ATTRACTION`` (each a unit pull, the sum bounded by ``SCHOOL_TURN``)."""
    delta = pos[None, :, :] - pos[:, None, :]
    dist = np.linalg.norm(delta, axis=-1) / body_length
    np.fill_diagonal(dist, np.inf)
    direction = np.stack([np.cos(heading), np.sin(heading)], -1)

    def bearing(vector: np.ndarray) -> np.ndarray:
        return np.sin(np.angle(np.exp(1j * (np.arctan2(vector[:, 1], vector[:, 0]) - heading))))

    near = dist < SCHOOL_REPULSION
    away = -(delta * near[..., None]).sum(1)
    aligned = ((dist < SCHOOL_ALIGNMENT)[..., None] * direction[None, :, :]).sum(1)
    centre = (delta * (dist < SCHOOL_ATTRACTION)[..., None]).sum(1)
    pull = np.where(near.any(1), bearing(away), 0.5 * (bearing(aligned) * (dist < SCHOOL_ALIGNMENT).any(1)
                                                        + bearing(centre) * (dist < SCHOOL_ATTRACTION).any(1)))
    return SCHOOL_TURN * pull


def _neighbour_speed(pos: np.ndarray, speed: np.ndarray, body_length: float) -> np.ndarray:
    """(N,) mean speed of each animal's neighbours within ``SCHOOL_ALIGNMENT`` (its own where none)."""
    dist = np.linalg.norm(pos[None, :, :] - pos[:, None, :], axis=-1) / body_length
    np.fill_diagonal(dist, np.inf)
    near = dist < SCHOOL_ALIGNMENT
    count = near.sum(1)
    return np.where(count > 0, (near * speed[None, :]).sum(1) / np.maximum(count, 1), speed)


def _keep_inside(arena: Arena, pos: np.ndarray, body_length: float) -> np.ndarray:
    """Positions pulled back to at least half a body length from the walls, so bodies stay in view."""
    inner = 0.55 * body_length
    if arena.circular:
        offset = pos - arena.centre
        dist = np.linalg.norm(offset, axis=-1, keepdims=True)
        limit = arena.radius - inner
        return np.where(dist > limit, arena.centre + offset * limit / np.maximum(dist, 1e-9), pos)
    return np.clip(pos, [inner, inner], [arena.width - inner, arena.height - inner])


def _resting_turn(arena: Arena, pos: np.ndarray, heading: np.ndarray, body_length: float) -> np.ndarray:
    """(N,) turn rate of an animal going to rest along the wall: towards the nearest wall while
    more than a body length from it, then along it (whichever way is nearer its heading)."""
    normal = arena.outward(pos)
    along = np.stack([-normal[:, 1], normal[:, 0]], -1)
    direction = np.stack([np.cos(heading), np.sin(heading)], -1)
    along = np.where((np.sum(along * direction, -1) < 0)[:, None], -along, along)
    goal = np.where((arena.clearance(pos) > body_length)[:, None], normal, along)
    bearing = np.arctan2(goal[:, 1], goal[:, 0]) - heading
    return WALL_TURN * np.sin(np.angle(np.exp(1j * bearing)))


def simulate_swimming(arena: Arena, n_animals: int, n_frames: int, body_length: float, fps: float,
                      rng: np.random.Generator, wall_resting: float | None = None,
                      schooling: float = 0.0) -> SwimPaths:
    """Integrate the swimming model frame by frame.

    Each animal has a persistent random turn rate (Ornstein-Uhlenbeck), a speed relaxing towards its
    own cruising speed (or near zero while resting) and kicked up by bursts that come with sharp
    turns; walls ahead turn it away and a nearby neighbour draws it slightly closer (schooling
    ones also keep their distance, align with their neighbours and follow their speed).

    Args:
        arena: where the animals swim.
        n_animals: number of animals, >= 1.
        n_frames: number of frames, >= 1.
        body_length: typical body length, px; sets the spatial scale of everything.
        fps: frames per second; sets the time step.
        rng: the only source of randomness.
        wall_resting: share of the time each animal spends resting, each rest taken along the
            wall (it swims there at its cruising speed, then lies still beside it), as many
            animals do in a tank; None: the short pauses in open water of ``REST_RATE``.
        schooling: 0 (each animal on its own, drawn to its nearest neighbour now and then) to 1
            (a school: neighbours keep their distance, swim the same way at the same speed and
            close up), so that animals swim side by side and touch in parallel, where motion
            tells them apart least.
    """
    dt = 1.0 / fps
    n, shape = n_animals, (n_frames, n_animals)
    cruise = rng.uniform(*CRUISE_SPEED, n)
    pos = _initial_positions(arena, n, body_length, rng)
    heading = rng.uniform(-np.pi, np.pi, n)
    speed, spontaneous = cruise.copy(), rng.normal(0, TURN_SPREAD, n)
    resting = np.zeros(n, bool)
    to_walls = wall_resting is not None
    rest_rate = REST_RATE if wall_resting is None else WAKE_RATE * wall_resting / max(1.0 - wall_resting, 1e-9)
    phase, depth = rng.uniform(0, 2 * np.pi, n), rng.normal(0, 1, n)
    turn_noise, depth_noise = rng.standard_normal(shape), rng.standard_normal(shape)
    bursts = rng.uniform(size=shape) < BURST_RATE * dt
    burst_speed, burst_turn = rng.uniform(*BURST_SPEED, shape), rng.normal(0, np.pi, shape)
    switches = rng.uniform(size=shape)
    out = {k: np.empty(shape) for k in ("headings", "speeds", "turn_rates", "beat_phases", "depths")}
    positions = np.empty((*shape, 2))
    for t in range(n_frames):
        positions[t], out["headings"][t], out["speeds"][t] = pos, heading, speed
        out["beat_phases"][t], out["depths"][t] = phase, depth
        resting = np.where(resting, switches[t] > WAKE_RATE * dt, switches[t] < rest_rate * dt)
        at_wall = resting & (arena.clearance(pos) <= body_length) if to_walls else resting
        target = np.where(at_wall, 0.1 * cruise, cruise)
        speed = speed + (target - speed) * dt / SPEED_TIME + np.where(bursts[t] & ~resting, burst_speed[t], 0)
        if schooling > 0:
            speed = speed + schooling * SCHOOL_SPEED_RATE * dt * (_neighbour_speed(pos, speed, body_length) - speed)
        spontaneous = (spontaneous * (1 - dt / TURN_TIME)
                       + TURN_SPREAD * np.sqrt(2 * dt / TURN_TIME) * turn_noise[t])
        spontaneous = spontaneous + np.where(bursts[t], burst_turn[t], 0)
        turn = (spontaneous * np.clip(speed / cruise, 0.2, 1.5)
                + _wall_turn(arena, pos, heading, speed * body_length, body_length)
                + _social_turn(pos, heading, body_length))
        if schooling > 0:
            turn = turn + schooling * _schooling_turn(pos, heading, body_length)
        if to_walls:
            turn = np.where(resting, _resting_turn(arena, pos, heading, body_length), turn)
        out["turn_rates"][t] = turn
        heading = np.angle(np.exp(1j * (heading + turn * dt)))
        step = speed * body_length * dt
        pos = _keep_inside(arena, pos + step[:, None] * np.stack([np.cos(heading), np.sin(heading)], -1),
                           body_length)
        phase = phase + 2 * np.pi * (1.0 + 1.5 * speed) * dt
        depth = 0.98 * depth + 0.2 * depth_noise[t]
    return SwimPaths(positions=positions, **out)
