"""Identity scores: agreement with shared/tools/score.py, known cases, IDF1 against references."""

from __future__ import annotations

import importlib.util
import itertools
import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from idtracker.adapters.storage.ground_truth_file import read_ground_truth, write_ground_truth
from idtracker.adapters.video.renderer import RenderSettings, render_video
from idtracker.domain.ground_truth import GroundTruth
from idtracker.domain.scoring import identity_accuracy, identity_f1, match_identities, score_tracking
from synthetic_videos import SHARED


@pytest.fixture(scope="module")
def score_py() -> ModuleType:
    if not (SHARED / "tools" / "score.py").exists():
        pytest.skip(f"needs score.py from the shared data ({SHARED}), not beside this clone")
    spec = importlib.util.spec_from_file_location("shared_score", SHARED / "tools" / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _scene(rng: np.random.Generator, frames: int = 80, animals: int = 5,
           absent: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Animals on a grid, jittering in place (always apart), some absent, a few marked touching."""
    grid = np.stack(np.meshgrid(np.arange(animals), [0]), -1).reshape(-1, 2)[:animals] * 100.0 + 50
    positions = grid[None] + rng.normal(0, 2, (frames, animals, 2))
    positions[rng.uniform(size=(frames, animals)) < absent] = np.nan
    touching = rng.uniform(size=(frames, animals)) < 0.1
    return positions, touching


def _tracked(positions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A plausible tracker output: shuffled ids, jitter, gaps, a wrong stretch and a spurious id."""
    out = positions[:, rng.permutation(positions.shape[1])] + rng.normal(0, 3, positions.shape)
    out[rng.uniform(size=out.shape[:2]) < 0.05] = np.nan
    out[20:35, [0, 1]] = out[20:35, [1, 0]]
    out[40:50, 2] = out[40:50, 2] + 60
    spurious = np.full((len(out), 1, 2), np.nan)
    spurious[10:30, 0] = positions[10:30, 3] + 4
    return np.concatenate([out, spurious], axis=1)


def _same(ours: dict[str, float | int], theirs: dict[str, float | int]) -> None:
    assert ours.keys() == theirs.keys()
    for key, value in theirs.items():
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(ours[key]), key
        else:
            assert ours[key] == pytest.approx(value, abs=1e-9), key


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("radius", [0.5, 1.0, 0.2])
def test_accuracy_agrees_with_score_py(score_py: ModuleType, seed: int, radius: float) -> None:
    rng = np.random.default_rng(seed)
    reference, touching = _scene(rng)
    output = _tracked(reference, rng)[: 70 + seed]  # outputs may be shorter than the reference
    ours = identity_accuracy(reference, touching, 40.0, output, radius).as_dict()
    _same(ours, score_py.score(reference, touching, 40.0, output, radius))


def test_accuracy_agrees_with_score_py_on_the_same_files(score_py: ModuleType, tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    reference, touching = _scene(rng)
    truth = GroundTruth(positions=reference, touching=touching, body_length=35.0,
                        areas=np.full(touching.shape, 300))
    write_ground_truth(truth, tmp_path)
    np.save(tmp_path / "trajectories.npy", {"trajectories": _tracked(reference, rng), "body_length": 50.0},
            allow_pickle=True)
    loaded = read_ground_truth(tmp_path)
    output = np.load(tmp_path / "trajectories.npy", allow_pickle=True).item()["trajectories"]
    ours = identity_accuracy(loaded.positions, loaded.touching, loaded.body_length, output).as_dict()
    ref, ref_touching, body_length = score_py.load_ref(tmp_path)
    theirs_output, _ = score_py.load_traj(tmp_path / "trajectories.npy")
    _same(ours, score_py.score(ref, ref_touching, body_length, theirs_output))


def test_accuracy_agrees_with_score_py_on_a_rendered_video(score_py: ModuleType, tmp_path: Path) -> None:
    rendered = render_video(RenderSettings(animals=6, frames=40, seed=3, width=240, height=240, body_length=30.0),
                            tmp_path)
    truth = rendered.truth
    rng = np.random.default_rng(0)
    output = truth.positions[:, [1, 0, 2, 3, 5, 4]] + rng.normal(0, 4, truth.positions.shape)
    output[25:, [0, 2]] = output[25:, [2, 0]]
    np.save(tmp_path / "out.npy", {"trajectories": output}, allow_pickle=True)
    ours = score_tracking(read_ground_truth(tmp_path), output).accuracy.as_dict()
    _same(ours, score_py.score(*score_py.load_ref(tmp_path), score_py.load_traj(tmp_path / "out.npy")[0]))


def test_permuted_ids_are_all_right() -> None:
    reference, touching = _scene(np.random.default_rng(1))
    output = reference[:, [3, 0, 4, 1, 2]]
    accuracy = identity_accuracy(reference, touching, 40.0, output)
    assert accuracy.acc_all == accuracy.acc_individual == accuracy.coverage == 1.0
    assert set(accuracy.mapping) == {(0, 3), (1, 0), (2, 4), (3, 1), (4, 2)}


def test_a_swap_costs_the_frames_after_it() -> None:
    frames, animals, swap_at = 100, 4, 60
    reference, _ = _scene(np.random.default_rng(2), frames, animals, absent=0.0)
    output = reference.copy()
    output[swap_at:, [0, 1]] = output[swap_at:, [1, 0]]
    accuracy = identity_accuracy(reference, np.zeros((frames, animals), bool), 40.0, output)
    assert accuracy.acc_all == pytest.approx(1 - 2 * (frames - swap_at) / (frames * animals))
    assert accuracy.coverage == 1.0


def test_after_a_swap_both_identities_are_wrong_where_they_are_and_an_extra_one_is_never_right() -> None:
    frames, animals, swap_at = 100, 4, 60
    reference, _ = _scene(np.random.default_rng(2), frames, animals, absent=0.0)
    extra = np.full((frames, 1, 2), np.nan)
    extra[:30, 0] = reference[:30, 2]  # id 4 lies on animal 2 for a while: matched to no animal all the same
    output = np.concatenate([reference, extra], axis=1)
    output[swap_at:, [0, 1]] = output[swap_at:, [1, 0]]
    right = match_identities(reference, output, 20.0).output_correct()
    assert right.shape == (frames, animals + 1)
    assert right[:swap_at, :4].all() and not right[swap_at:, :2].any() and right[swap_at:, 2:4].all()
    assert not right[:, 4].any()


def _brute_force_idf1(reference: np.ndarray, output: np.ndarray, threshold: float) -> float:
    """IDF1 by trying every one-to-one id mapping, straight from the definition."""
    present_ref, present_out = ~np.isnan(reference[..., 0]), ~np.isnan(output[..., 0])
    best = 0
    for chosen in itertools.permutations(range(output.shape[1]), reference.shape[1]):
        d = np.linalg.norm(output[:, list(chosen)] - reference, axis=-1)
        best = max(best, int((present_ref & present_out[:, list(chosen)] & (d <= threshold)).sum()))
    return 2 * best / (present_ref.sum() + present_out.sum())


@pytest.mark.parametrize("seed", range(4))
def test_idf1_matches_its_definition(seed: int) -> None:
    rng = np.random.default_rng(seed)
    reference, _ = _scene(rng, frames=60, animals=4)
    output = _tracked(reference, rng)
    for threshold in (20.0, 40.0):
        assert identity_f1(reference, output, threshold).idf1 == pytest.approx(
            _brute_force_idf1(reference, output, threshold), abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_idf1_matches_motmetrics(seed: int) -> None:
    mm = pytest.importorskip("motmetrics")
    rng = np.random.default_rng(seed)
    reference, _ = _scene(rng, frames=60, animals=5)
    output = _tracked(reference, rng)
    for threshold in (20.0, 40.0):
        accumulator = mm.MOTAccumulator(auto_id=True)
        for ref, out in zip(reference, output):
            ref_ids, out_ids = np.flatnonzero(~np.isnan(ref[:, 0])), np.flatnonzero(~np.isnan(out[:, 0]))
            distances = mm.distances.norm2squared_matrix(ref[ref_ids], out[out_ids], max_d2=threshold**2)
            accumulator.update(ref_ids.tolist(), out_ids.tolist(), distances)
        theirs = mm.metrics.create().compute(accumulator, metrics=["idf1", "idtp", "idfp", "idfn"], name="x")
        ours = identity_f1(reference, output, threshold)
        assert ours.idf1 == pytest.approx(float(theirs["idf1"].iloc[0]), abs=1e-12)
        assert (ours.idtp, ours.idfp, ours.idfn) == tuple(int(theirs[k].iloc[0]) for k in ("idtp", "idfp", "idfn"))


def test_tracking_score_gates_idf1_at_one_and_half_a_body_length() -> None:
    reference, touching = _scene(np.random.default_rng(5))
    truth = GroundTruth(positions=reference, touching=touching, body_length=40.0, areas=np.ones(touching.shape, int))
    output = reference + np.array([30.0, 0.0])  # three quarters of a body length off
    score = score_tracking(truth, output)
    assert score.idf1_one_body.idf1 == 1.0 and score.idf1_one_body.threshold_px == 40.0
    assert score.idf1_half_body.idf1 == 0.0 and score.idf1_half_body.idfn == (~np.isnan(reference[..., 0])).sum()
    assert score.accuracy.acc_all == 0.0 and score.accuracy.coverage == 0.0
