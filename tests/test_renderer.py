"""The renderer: swimming simulation, fish looks, rendered video and its ground truth, the command."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from idtracker.adapters.config.toml_settings import load_toml, structure_settings
from idtracker.adapters.storage.ground_truth_file import read_ground_truth
from idtracker.adapters.video.renderer import RenderedVideo, RenderSettings, render_video
from idtracker.adapters.video.synthetic_scene import draw_background
from idtracker.domain.fish_appearance import SEGMENTATION_THRESHOLD, draw_appearance
from idtracker.domain.swim_simulation import Arena, simulate_swimming
from idtracker.entrypoints.render_cli import main as render_main

SMALL = RenderSettings(animals=4, frames=60, seed=0, width=200, height=200, body_length=30.0, name="small")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> RenderedVideo:
    return render_video(SMALL, tmp_path_factory.mktemp("small"))


def _frames(path: Path) -> np.ndarray:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while (read := capture.read())[0]:
        frames.append(cv2.cvtColor(read[1], cv2.COLOR_BGR2GRAY))
    capture.release()
    return np.array(frames)


def _dark_blobs(gray: np.ndarray) -> np.ndarray:
    """(k, 2) pixel centroids of the blobs the parameters file's threshold segments."""
    mask = cv2.inRange(gray, 0, SEGMENTATION_THRESHOLD)
    _, _, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return centroids[1:][stats[1:, cv2.CC_STAT_AREA] >= 20]


def test_simulated_animals_stay_inside_the_arena_and_move_like_fish() -> None:
    arena = Arena(width=400, height=300, circular=True)
    paths = simulate_swimming(arena, 10, 500, 40.0, 25.0, np.random.default_rng(1))
    assert paths.positions.shape == (500, 10, 2)
    assert (arena.clearance(paths.positions) >= 0.55 * 40.0 - 1e-6).all()
    step = np.linalg.norm(np.diff(paths.positions, axis=0), axis=-1)
    assert 0.5 < np.median(step) < 4.0  # about 1-2 body lengths per second at 25 fps
    assert step.max() < 0.5 * 40.0  # no teleporting, even in bursts


def test_simulation_is_fixed_by_its_seed() -> None:
    arena = Arena(width=300, height=300, circular=False)
    first, second, other = (simulate_swimming(arena, 5, 100, 30.0, 25.0, np.random.default_rng(s)) for s in (3, 3, 4))
    assert np.array_equal(first.positions, second.positions)
    assert not np.allclose(first.positions, other.positions)


@pytest.mark.parametrize("circular", [True, False])
def test_wall_resting_animals_spend_their_rests_still_beside_the_wall(circular: bool) -> None:
    arena = Arena(600, 600, circular)
    def still_at_wall(wall_resting: float | None) -> float:
        paths = simulate_swimming(arena, 8, 2000, 40.0, 25.0, np.random.default_rng(0), wall_resting)
        return float(((paths.speeds < 0.5) & (arena.clearance(paths.positions) <= 40.0)).mean())
    assert still_at_wall(None) < 0.02
    assert 0.25 < still_at_wall(0.5) < 0.5  # half of the time resting, part of it swimming to the wall
    assert still_at_wall(0.8) > still_at_wall(0.5)


def test_schooling_animals_swim_the_same_way_side_by_side() -> None:
    arena = Arena(800, 800)

    def school(schooling: float) -> tuple[float, float]:
        """Polarisation (length of the mean heading vector) and mean nearest-neighbour distance (body lengths)."""
        paths = simulate_swimming(arena, 8, 300, 45.0, 25.0, np.random.default_rng(0), schooling=schooling)
        polarisation = np.abs(np.exp(1j * paths.headings[50:]).mean(1)).mean()
        gaps = np.linalg.norm(paths.positions[:, :, None] - paths.positions[:, None], axis=-1) / 45.0
        gaps[:, np.arange(8), np.arange(8)] = np.inf
        return float(polarisation), float(gaps.min(2).mean())

    alone, schooled = school(0.0), school(1.0)
    assert schooled[0] > alone[0] + 0.2 and schooled[1] < 0.75 * alone[1]
    assert schooled[1] > 1.0  # neighbours keep their distance: a school, not one blob


def test_distinctness_zero_leaves_animals_nearly_identical() -> None:
    same = draw_appearance(20, 40.0, 0.0, np.random.default_rng(0))
    distinct = draw_appearance(20, 40.0, 1.0, np.random.default_rng(0))
    assert np.ptp(same.lengths) / 40.0 < 0.05 and np.ptp(same.shades) < 5
    assert len(same.mark_owners) == 2 * 20  # the eyes only
    assert np.ptp(distinct.lengths) / 40.0 > 0.1 and np.ptp(distinct.shades) > 15
    assert len(distinct.mark_owners) > 3 * 20


def test_video_has_the_frames_and_size_asked(small: RenderedVideo) -> None:
    frames = _frames(small.video_path)
    assert frames.shape == (SMALL.frames, SMALL.height, SMALL.width)
    assert small.truth.positions.shape == (SMALL.frames, SMALL.animals, 2)
    assert 25 < small.truth.body_length < 35


def test_dark_pixel_centroids_match_ground_truth_where_no_animal_touches(small: RenderedVideo) -> None:
    frames = _frames(small.video_path)
    apart = np.flatnonzero(~small.truth.touching.any(1))
    assert len(apart) > 20
    for t in apart:
        blobs = _dark_blobs(frames[t])
        assert len(blobs) == SMALL.animals
        distance = np.linalg.norm(blobs[:, None] - small.truth.positions[t][None], axis=-1).min(0)
        # Blur widens the thresholded blob by about half a pixel all round, which pulls its centroid
        # slightly towards the tail (more outline per area there): a pixel or so, never more.
        assert distance.max() < 0.05 * small.truth.body_length, (t, distance)


def test_touching_animals_are_close_and_merge_into_fewer_blobs(small: RenderedVideo) -> None:
    frames = _frames(small.video_path)
    touching = small.truth.touching
    assert touching.any() and not touching.all()
    for t in np.flatnonzero(touching.any(1)):
        ids = np.flatnonzero(touching[t])
        assert len(ids) >= 2
        gaps = np.linalg.norm(small.truth.positions[t][ids, None] - small.truth.positions[t][None, ids], axis=-1)
        np.fill_diagonal(gaps, np.inf)
        assert (gaps.min(1) < 1.2 * small.truth.body_length).all()
    merged = [t for t in np.flatnonzero(touching.any(1)) if len(_dark_blobs(frames[t])) < SMALL.animals]
    assert len(merged) >= 0.8 * touching.any(1).sum()


def test_ground_truth_file_reads_back_as_rendered(small: RenderedVideo) -> None:
    truth = read_ground_truth(small.ground_truth_path.parent)
    assert np.array_equal(truth.positions, small.truth.positions)
    assert np.array_equal(truth.touching, small.truth.touching)
    assert truth.body_length == small.truth.body_length
    assert (truth.areas > 0.5 * np.median(truth.areas)).mean() > 0.95


def test_parameters_file_is_valid_and_segments_the_animals(small: RenderedVideo) -> None:
    settings = structure_settings(load_toml(small.settings_path))
    assert settings.number_of_animals == SMALL.animals
    assert [Path(p) for p in settings.video_paths] == [small.video_path.resolve()]
    low, high = settings.area_ths
    assert low < small.truth.areas[small.truth.areas > 0].min() and high == np.inf


def test_same_seed_renders_the_same_video_and_truth(tmp_path: Path) -> None:
    settings = RenderSettings(animals=3, frames=8, seed=11, width=128, height=96, body_length=20.0)
    first, second = render_video(settings, tmp_path / "a"), render_video(settings, tmp_path / "b")
    other = render_video(RenderSettings(animals=3, frames=8, seed=12, width=128, height=96, body_length=20.0),
                         tmp_path / "c")
    assert np.array_equal(_frames(first.video_path), _frames(second.video_path))
    assert np.array_equal(first.truth.positions, second.truth.positions)
    assert not np.allclose(first.truth.positions, other.truth.positions)


def test_mp4_without_wall(tmp_path: Path) -> None:
    settings = RenderSettings(animals=2, frames=10, width=160, height=120, body_length=24.0, codec="mp4", wall=False)
    rendered = render_video(settings, tmp_path)
    assert rendered.video_path.suffix == ".mp4"
    assert _frames(rendered.video_path).shape == (10, 120, 160)


def test_command_writes_video_truth_and_parameters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    status = render_main([str(out), "--animals", "3", "--frames", "5", "--seed", "2", "--size", "160", "120",
                          "--body_length", "25", "--distinctness", "1", "--noise", "2", "--no_wall"])
    assert status == 0
    assert {p.name for p in out.iterdir()} == {"demo.avi", "gt.npz", "demo.toml"}
    assert "rendered" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--animals", "0", "--frames", "5"], ["--animals", "101", "--frames", "5"],
                                  ["--animals", "3"], ["--animals", "3", "--frames", "5", "--distinctness", "2"],
                                  ["--animals", "3", "--frames", "5", "--codec", "avi"],
                                  ["--animals", "3", "--frames", "5", "--schooling", "1.5"],
                                  ["--animals", "x", "--frames", "5"]])
def test_command_refuses_bad_input_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               argv: list[str]) -> None:
    assert render_main([str(tmp_path / "out"), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("idtrackerai_render: error: ") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_blur_softens_edges_and_uneven_light_spreads_the_floor_above_the_threshold(tmp_path: Path) -> None:
    sharp, soft = (render_video(RenderSettings(animals=2, frames=3, width=200, height=160, noise=0.0, blur=blur,
                                               name=f"b{blur}"), tmp_path / f"b{blur}") for blur in (0.0, 2.0))
    gradient = [np.abs(np.diff(_frames(r.video_path)[0].astype(float), axis=1)).max() for r in (sharp, soft)]
    assert gradient[1] < 0.6 * gradient[0]
    arena = RenderSettings(animals=1, frames=1, width=300, height=300).arena
    flat, uneven = (draw_background(arena, np.random.default_rng(4), light) for light in (0.0, 3.0))
    assert uneven.std() > 1.5 * flat.std()
    assert uneven.min() > SEGMENTATION_THRESHOLD and flat.min() > SEGMENTATION_THRESHOLD
