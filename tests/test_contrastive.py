"""The contrastive step: pairs from fragments, an encoder that separates animals, its stop rules, its outputs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from sklearn.metrics import silhouette_score
from idtracker.adapters.events.memory_sink import InMemoryEventSink
from idtracker.adapters.identification.sklearn_clustering import SILHOUETTE_POINTS, SklearnClustering
from idtracker.adapters.identification.torch_contrastive import TorchContrastiveEncoder
from idtracker.application import events as ev
from idtracker.application.accumulation import Accumulation, WarmStart
from idtracker.application.contrastive_step import RATIO_PATIENCE, ContrastiveStep, Judgement
from idtracker.application.errors import UserError
from idtracker.application.identification_stage import IdentificationStage
from idtracker.application.settings import Settings
from idtracker.domain.cluster_identities import centre_log_proba, cluster_log_proba, match_clusters
from idtracker.domain.contrastive_pairs import contrastive_pairs
from idtracker.domain.fragments import build_fragments
from idtracker.domain.global_fragments import GlobalFragment, build_global_fragments
from synthetic_videos import SHARED, needs_shared

ANIMALS, FRAMES, RUN, SIZE = 3, 60, 20, 24


def _draw(animal: int, rng: np.random.Generator) -> np.ndarray:
    """A 24-px image of one of three visibly different 'animals', jittered and noisy."""
    image = np.zeros((SIZE, SIZE), np.uint8)
    c = (12 + int(rng.integers(-1, 2)), 12 + int(rng.integers(-1, 2)))
    if animal == 0:
        cv2.ellipse(image, c, (9, 4), 0, 0, 360, 200, -1)
    elif animal == 1:
        cv2.rectangle(image, (c[0] - 6, c[1] - 6), (c[0] + 6, c[1] + 6), 120, -1)
    else:
        cv2.circle(image, c, 7, 250, 2)
    noise = rng.normal(0, 12, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def scene():
    """Three animals over 60 frames; each animal's track breaks every 20 frames (3 fragments each)."""
    rng = np.random.default_rng(1)
    frame = np.repeat(np.arange(FRAMES), ANIMALS)
    animal = np.tile(np.arange(ANIMALS), FRAMES)
    blob = np.arange(len(frame))
    nxt = blob + ANIMALS
    keep = (nxt < len(frame)) & ((frame + 1) % RUN != 0)
    links = np.column_stack([blob[keep], nxt[keep]])
    fragments = build_fragments(frame, links, np.ones(len(frame), bool))
    global_fragments = build_global_fragments(frame, fragments, FRAMES, ANIMALS)
    images = np.stack([_draw(a, rng) for a in animal])
    centroid = np.column_stack([frame * 1.0, animal * 50.0])
    return SimpleNamespace(frame=frame, animal=animal, fragments=fragments, global_fragments=global_fragments,
                           images=images, centroid=centroid, links=links)


def test_pairs_are_long_fragments_and_their_coexisting_neighbours(scene):
    pairs = contrastive_pairs(scene.fragments)
    assert len(pairs.positive) == 9
    assert len(pairs.negative) == 9  # 3 time windows x 3 pairs of animals
    assert np.all(scene.fragments.start[pairs.negative[:, 0]] == scene.fragments.start[pairs.negative[:, 1]])


def test_clusters_become_labels_of_the_first_global_fragment():
    assert list(match_clusters(np.array([2, 2, 0, 1]), np.array([0, 0, 1, 2]), 3)) == [1, 2, 0]
    p = np.exp(cluster_log_proba(np.array([[0.5, 5.0]])))
    assert p[0, 0] / p[0, 1] == pytest.approx((5.01 / 0.51) ** 7)


def test_log_probabilities_from_centres_are_those_of_the_distances():
    rng = np.random.default_rng(0)
    z, centres = rng.normal(size=(50, 8)), rng.normal(size=(4, 8))
    distances = np.linalg.norm(z[:, None, :] - centres[None], axis=2)
    np.testing.assert_allclose(centre_log_proba(z, centres), cluster_log_proba(distances), rtol=1e-9, atol=1e-9)


def test_the_silhouette_of_many_images_is_that_of_a_fixed_subset_and_close_to_all_of_them():
    rng = np.random.default_rng(1)
    labels = rng.integers(40, size=SILHOUETTE_POINTS + 2000)
    x = rng.normal(size=(len(labels), 8)) + 4.0 * rng.normal(size=(40, 8))[labels]
    clustering = SklearnClustering()
    assert clustering.silhouette(x, labels) == clustering.silhouette(x, labels)  # same subset each evaluation
    assert clustering.silhouette(x, labels) == pytest.approx(silhouette_score(x, labels), abs=0.01)


def test_encoder_separates_animals_and_fragments_get_their_animal(scene, tmp_path):
    sink = InMemoryEventSink()
    encoder = TorchContrastiveEncoder(16, "cpu")
    step = ContrastiveStep(encoder, SklearnClustering(), sink)
    result = step(scene.images, scene.fragments.of_blob, scene.fragments, scene.global_fragments, ANIMALS)
    fragment_animal = np.zeros(len(scene.fragments), np.int64)
    fragment_animal[scene.fragments.of_blob] = scene.animal
    assert result.ratio_accumulated == 1.0
    for a in range(ANIMALS):
        assert len(np.unique(result.labels[fragment_animal == a])) == 1
    assert len(np.unique(result.labels)) == ANIMALS
    assert result.silhouette_score > 0.5
    assert sink.of_type(ev.ContrastiveStepFinished)[0].batches == result.batches
    assert encoder.images is None  # the training images are let go of; the weights can still be saved
    assert encoder.save(tmp_path, result.centres, {}).exists()


class _FixedEncoder:
    """An encoder whose embedding never changes: the silhouette cannot improve after the first check."""

    batch_pairs, device_name = 400, "cpu"

    def __init__(self, animal: np.ndarray):
        self.animal, self.restored = animal, None

    def start(self, images, image_fragment, positive, negative, anchors) -> None:
        pass

    def train(self, batches: int) -> float:
        return 1.0

    def finish(self) -> None:
        pass

    def embed(self, index: np.ndarray) -> np.ndarray:
        return np.eye(8)[self.animal[index]] * 10.0 + np.sin(index)[:, None]

    def snapshot(self) -> object:
        return "weights"

    def restore(self, snapshot: object) -> None:
        self.restored = snapshot

    def save_checkpoint(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "contrastive_checkpoint.pt").write_text("weights")
        return folder / "contrastive_checkpoint.pt"


class _FlickeringEncoder(_FixedEncoder):
    """Right clusters at every other check and noise in between, like an embedding that has not settled."""

    checks = 0

    def embed(self, index: np.ndarray) -> np.ndarray:
        self.checks += 1
        if self.checks % 2:
            return super().embed(index)
        return np.random.default_rng(self.checks).normal(size=(len(index), ANIMALS))


def test_sure_labels_must_hold_over_consecutive_checks_to_stop_training(scene):
    sink = InMemoryEventSink()
    step = ContrastiveStep(_FlickeringEncoder(scene.animal), SklearnClustering(), sink, silhouette_target=1.0,
                           patience=30)
    step(scene.images, scene.fragments.of_blob, scene.fragments, scene.global_fragments, ANIMALS)
    ratios = [e.ratio_sure_images for e in sink.of_type(ev.ContrastiveEvaluated)]
    assert ratios[0] == 1.0 and min(ratios) < 0.5
    assert len(ratios) == RATIO_PATIENCE + 1


class _MergingEncoder(_FixedEncoder):
    """Animals 1 and 2 in one place for the first ``merged`` embeddings, apart after: sure labels
    (the anchors', a third of the images) that hold still before every animal is separated."""

    checks, merged = 0, 4

    def embed(self, index: np.ndarray) -> np.ndarray:
        self.checks += 1
        animal = self.animal[index]
        if self.checks <= self.merged:
            animal = np.where(animal == 2, 1, animal)
        return np.eye(8)[animal] * 10.0 + np.sin(index)[:, None]


class _LookalikeEncoder(_FixedEncoder):
    """Animals 0 and 1 nearly in one place; animal 2 in one place in the middle window and
    another elsewhere (a posture the encoder has not pulled together): three clusters of the
    images are the pair, and animal 2 twice."""

    def __init__(self, animal: np.ndarray, frame: np.ndarray):
        super().__init__(animal)
        self.frame = frame

    def embed(self, index: np.ndarray) -> np.ndarray:
        animal, window = self.animal[index], self.frame[index] // RUN
        place = np.where(animal == 2, np.where(window == 1, 3, 2), 0)
        return np.eye(8)[place] * 10.0 + np.where(animal == 1, 0.3, 0.0)[:, None] + 0.01 * np.sin(index)[:, None]


def test_with_a_partial_first_global_fragment_coexisting_animals_get_their_own_clusters(scene):
    """No stretch shows all three apart (the first global fragment holds animals 0 and 1 only):
    the clusters keep the pair apart, since they coexist, and animal 2 whole."""
    fragments = scene.fragments
    fragment_animal = np.zeros(len(fragments), np.int64)
    fragment_animal[fragments.of_blob] = scene.animal
    pair = np.flatnonzero((fragments.start == 0) & (fragment_animal < 2))
    partial = GlobalFragment(0, RUN, pair[np.argsort(fragment_animal[pair])])
    step = ContrastiveStep(_LookalikeEncoder(scene.animal, scene.frame), SklearnClustering(), InMemoryEventSink(),
                           silhouette_target=1.0, patience=1)
    result = step(scene.images, fragments.of_blob, fragments, [partial], ANIMALS, min_ratio=1.1)
    named = result.image_log_proba.argmax(1)
    assert [set(named[scene.animal == a]) for a in range(ANIMALS)] == [{0}, {1}, {2}]


def test_a_result_the_caller_refuses_does_not_end_training(scene):
    sink = InMemoryEventSink()
    step = ContrastiveStep(_MergingEncoder(scene.animal), SklearnClustering(), sink, silhouette_target=1.0,
                           patience=30)
    judged = []
    def accept(result) -> Judgement:
        judged.append(result.batches)
        return Judgement(result.ratio_accumulated >= 0.99, result.ratio_accumulated)
    result = step(scene.images, scene.fragments.of_blob, scene.fragments, scene.global_fragments, ANIMALS,
                  min_ratio=0.3, accept=accept)
    checks = sink.of_type(ev.ContrastiveEvaluated)
    assert checks[2].ratio_sure_images < 0.5 and judged[0] == checks[2].batches  # stable, judged, refused
    assert len(judged) >= 2 and result.batches == judged[-1] == checks[-1].batches
    sure = result.labels[scene.fragments.of_blob] >= 0
    assert sure.all() and np.array_equal(result.labels[scene.fragments.of_blob], scene.animal)


def test_without_a_judge_stable_sure_labels_end_training_at_once(scene):
    sink = InMemoryEventSink()
    step = ContrastiveStep(_MergingEncoder(scene.animal), SklearnClustering(), sink, silhouette_target=1.0,
                           patience=30)
    result = step(scene.images, scene.fragments.of_blob, scene.fragments, scene.global_fragments, ANIMALS,
                  min_ratio=0.3)
    assert len(sink.of_type(ev.ContrastiveEvaluated)) == 3 and result.ratio_accumulated < 0.5


def test_refused_results_that_get_no_closer_to_final_end_training(scene):
    sink = InMemoryEventSink()
    step = ContrastiveStep(_FixedEncoder(scene.animal), SklearnClustering(), sink, silhouette_target=1.0, patience=30)
    step(scene.images, scene.fragments.of_blob, scene.fragments, scene.global_fragments, ANIMALS,
         accept=lambda result: Judgement(False, 0.5))
    judged = sink.of_type(ev.ContrastiveJudged)
    # stable from the third evaluation; later judgements wait while they cost more than training
    assert len(judged) == 3 and len(sink.of_type(ev.ContrastiveEvaluated)) >= 5


def test_patience_stops_training_and_restores_the_best_weights(scene):
    sink = InMemoryEventSink()
    encoder = _FixedEncoder(scene.animal)
    step = ContrastiveStep(encoder, SklearnClustering(), sink, silhouette_target=1.0, patience=3)
    step(scene.images, scene.fragments.of_blob, scene.fragments, scene.global_fragments, ANIMALS, min_ratio=1.1)
    assert len(sink.of_type(ev.ContrastiveEvaluated)) == 4
    assert encoder.restored == "weights"


def test_sure_labels_stalled_below_the_minimum_stop_training_before_patience(scene):
    sink = InMemoryEventSink()
    step = ContrastiveStep(_FixedEncoder(scene.animal), SklearnClustering(), sink, silhouette_target=1.0, patience=30)
    step(scene.images, scene.fragments.of_blob, scene.fragments, scene.global_fragments, ANIMALS, min_ratio=1.1)
    assert len(sink.of_type(ev.ContrastiveEvaluated)) == RATIO_PATIENCE + 1


def test_stable_sure_labels_stop_training_early(scene):
    sink = InMemoryEventSink()
    step = ContrastiveStep(_FixedEncoder(scene.animal), SklearnClustering(), sink, silhouette_target=1.0, patience=30)
    result = step(scene.images, scene.fragments.of_blob, scene.fragments, scene.global_fragments, ANIMALS)
    assert len(sink.of_type(ev.ContrastiveEvaluated)) == 3 and result.ratio_accumulated == 1.0


class _TruthClassifier:
    """Accumulation's classifier stand-in: knows the animals, so only the dispatch is under test."""

    def __init__(self, images: np.ndarray, animal: np.ndarray):
        self.animal_of = {image.tobytes(): a for image, a in zip(images, animal)}

    def fit(self, images, labels) -> dict:
        return {}

    def log_proba(self, images: np.ndarray) -> np.ndarray:
        animal = np.array([self.animal_of[image.tobytes()] for image in images], np.int64)
        return np.log(np.where(np.eye(ANIMALS)[animal], 0.98, 0.01)).reshape(len(images), ANIMALS)

    def log_proba_and_features(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        log_proba = self.log_proba(images)
        return log_proba, np.exp(log_proba).astype(np.float32)

    def weights(self) -> None:
        return None

    def restore(self, weights) -> None:
        pass

    def save(self, folder: Path, params: dict) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model_params.json").write_text(json.dumps({**params, "model": "truth"}))
        return folder


def _stage(scene, sink, encoder_calls: list) -> IdentificationStage:
    def make_encoder(settings):
        encoder_calls.append(settings)
        return TorchContrastiveEncoder(16, "cpu")

    return IdentificationStage(None, lambda size, n, settings: _TruthClassifier(scene.images, scene.animal), make_encoder,
                               SklearnClustering(), sink)


def _identify(scene, stage, tmp_path, **settings):
    return stage(Settings(number_of_animals=ANIMALS, **settings), SimpleNamespace(blobs=SimpleNamespace(centroid=scene.centroid), links=scene.links),
                 scene.fragments, scene.global_fragments, 40.0, 1, tmp_path, images=scene.images)


def test_disable_contrastive_goes_straight_to_accumulation(scene, tmp_path):
    sink, calls = InMemoryEventSink(), []
    result = _identify(scene, _stage(scene, sink, calls), tmp_path, disable_contrastive=True)
    assert calls == [] and not sink.of_type(ev.ContrastiveEvaluated)
    assert result.method == "accumulation" and result.silhouette_score is None


def test_with_too_few_global_fragments_single_fragments_sure_in_the_clusters_count(scene, tmp_path):
    sink, calls = InMemoryEventSink(), []
    stage = _stage(scene, sink, calls)
    first_only = scene.global_fragments[:1]  # one third of the images: below contrastive_min_accumulation
    result = stage(Settings(number_of_animals=ANIMALS), SimpleNamespace(blobs=SimpleNamespace(centroid=scene.centroid),
                   links=scene.links), scene.fragments, first_only, 40.0, 1, tmp_path, images=scene.images)
    few = sink.of_type(ev.FewGlobalFragments)
    assert len(calls) == 1 and len(few) == 1 and few[0].reachable_ratio == pytest.approx(1 / 3)
    # The global fragment alone covers a third; the fragments of the other windows, each certain
    # and unique among those it coexists with, are sure too.
    assert sink.of_type(ev.ContrastiveStepFinished)[-1].ratio_accumulated_images > 0.9
    mapping = {a: set(result.identities[scene.animal == a]) for a in range(ANIMALS)}
    assert all(len(ids) == 1 for ids in mapping.values()) and len(set.union(*mapping.values())) == ANIMALS


class _RecordingTruthClassifier(_TruthClassifier):
    """Remembers the labels of every training set."""

    def __init__(self, images: np.ndarray, animal: np.ndarray):
        super().__init__(images, animal)
        self.trained: list[tuple[np.ndarray, np.ndarray]] = []

    def fit(self, images, labels) -> dict:
        self.trained.append((images, np.asarray(labels)))
        return {}


def test_accumulation_starts_from_warm_labels_named_after_its_first_global_fragment(scene):
    sink = InMemoryEventSink()
    classifier = _RecordingTruthClassifier(scene.images, scene.animal)
    fragments, first = scene.fragments, scene.global_fragments[0]
    fragment_animal = np.zeros(len(fragments), np.int64)
    fragment_animal[fragments.of_blob] = scene.animal
    other_naming = np.array([2, 0, 1])[fragment_animal]  # the contrastive step's names, not accumulation's
    votes = np.eye(ANIMALS)[other_naming] * fragments.n_images[:, None]
    warm = WarmStart(votes * np.log(0.98 / 0.01) - fragments.n_images[:, None] * np.log(1 / 0.01), votes)
    Accumulation(classifier, sink)(scene.images, fragments.of_blob, fragments, scene.global_fragments[:1], ANIMALS,
                                   warm_start=warm)
    started = sink.of_type(ev.AccumulationWarmStarted)
    assert [(e.fragments, e.images) for e in started] == [(6, 120)]
    images, labels = classifier.trained[0]  # the first training set: every image, named as the first global fragment
    name = {int(fragment_animal[f]): i for i, f in enumerate(first.fragments)}
    animal = np.array([classifier.animal_of[image.tobytes()] for image in images])
    assert len(images) == len(scene.images) and all(labels == [name[a] for a in animal])


def test_sure_contrastive_result_is_final_and_saved(scene, tmp_path):
    sink, calls = InMemoryEventSink(), []
    result = _identify(scene, _stage(scene, sink, calls), tmp_path)
    assert result.method == "contrastive" and result.silhouette_score > 0.5
    assert not sink.of_type(ev.AccumulationStepFinished) and not sink.of_type(ev.LowEstimatedAccuracy)
    reduced = sink.of_type(ev.ContrastiveBatchReduced)
    assert [(e.contrastive_batchsize, e.pairs_per_batch, e.device) for e in reduced] == [(400, 16, "cpu")]
    mapping = {a: set(result.identities[scene.animal == a]) for a in range(ANIMALS)}
    assert all(len(ids) == 1 for ids in mapping.values()) and len(set.union(*mapping.values())) == ANIMALS
    folder = tmp_path / "accumulation"
    assert (folder / "identifier_contrastive.model.pt").exists()
    assert np.loadtxt(folder / "identifier_contrastive.cluster_centers.csv", delimiter=",").shape == (ANIMALS, 8)
    assert json.loads((folder / "model_params.json").read_text())["n_classes"] == ANIMALS


class _LookAlikeEncoder(_FixedEncoder):
    """Animals 1 and 2 embed alike: their clusters split each fragment at random, as a contrastive
    model does that has not learnt two look-alikes apart."""

    def embed(self, index: np.ndarray) -> np.ndarray:
        rng = np.random.default_rng(index)
        return np.eye(8)[np.minimum(self.animal[index], 1)] * 10.0 + rng.normal(0, 1, (len(index), 8))


def test_contrastive_result_that_does_not_promise_accuracy_goes_to_accumulation(scene, tmp_path):
    sink = InMemoryEventSink()
    stage = IdentificationStage(None, lambda size, n, settings: _TruthClassifier(scene.images, scene.animal),
                                lambda settings: _LookAlikeEncoder(scene.animal), SklearnClustering(), sink)
    result = _identify(scene, stage, tmp_path, contrastive_patience=2)
    rejected = sink.of_type(ev.ContrastiveRejected)
    assert len(rejected) == 1 and rejected[0].estimated_accuracy < rejected[0].min_estimated_accuracy
    assert result.method == "accumulation" and sink.of_type(ev.AccumulationStepFinished)
    assert (tmp_path / "accumulation" / "contrastive_checkpoint.pt").is_file()  # kept for inspect_clusters
    mapping = {a: set(result.identities[scene.animal == a]) for a in range(ANIMALS)}
    assert all(len(ids) == 1 for ids in mapping.values()) and len(set.union(*mapping.values())) == ANIMALS


class _DoubtfulClassifier(_TruthClassifier):
    """Right on every image, but barely: 0.36 for the animal, 0.32 for each other."""

    def log_proba(self, images: np.ndarray) -> np.ndarray:
        return np.log(np.where(np.exp(super().log_proba(images)) > 0.5, 0.36, 0.32))


def test_doubtful_identities_warn_with_what_to_try(scene, tmp_path):
    sink = InMemoryEventSink()
    stage = IdentificationStage(None, lambda size, n, settings: _DoubtfulClassifier(scene.images, scene.animal),
                                None, SklearnClustering(), sink)
    result = _identify(scene, stage, tmp_path, disable_contrastive=True)
    [warning] = sink.of_type(ev.LowEstimatedAccuracy)
    assert warning.estimated_accuracy == pytest.approx(result.estimated_accuracy) and warning.estimated_accuracy < 0.99
    assert warning.method == "accumulation" and "idtrackerai_validate" in warning.advice


def test_same_input_gives_same_labels(scene):
    runs = [ContrastiveStep(TorchContrastiveEncoder(16, "cpu"), SklearnClustering(), InMemoryEventSink())(
        scene.images, scene.fragments.of_blob, scene.fragments, scene.global_fragments, ANIMALS) for _ in range(2)]
    assert np.array_equal(runs[0].image_log_proba, runs[1].image_log_proba)


@needs_shared
@pytest.mark.slow
def test_test_a_with_contrastive_agrees_with_idtrackerai(tmp_path, monkeypatch):
    from idtracker.entrypoints.cli import main

    monkeypatch.chdir(tmp_path)  # its idtrackerai.log goes there, not into the repository

    assert main(["--load", str(SHARED / "data" / "test_A.toml"), "--track", "--output_dir", str(tmp_path)]) == 0
    spec = importlib.util.spec_from_file_location("score", SHARED / "tools" / "score.py")
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)
    reference, touching, body_length = score.load_ref(SHARED / "data" / "reference" / "test_A")
    ours, _ = score.load_traj(tmp_path / "session_test_A")
    assert score.score(reference, touching, body_length, ours)["acc_individual"] >= 0.995
    data = np.load(tmp_path / "session_test_A" / "trajectories" / "trajectories.npy", allow_pickle=True).item()
    assert 0 < data["silhouette_score"] <= 1


def test_images_over_the_memory_budget_are_read_per_batch(scene, tmp_path):
    on_disk = np.lib.format.open_memmap(tmp_path / "images.npy", "w+", np.uint8, scene.images.shape)
    on_disk[:] = scene.images
    pairs = contrastive_pairs(scene.fragments)
    encoder = TorchContrastiveEncoder(8, "cpu", max_mbytes=0)
    encoder.start(on_disk, scene.fragments.of_blob, pairs.positive, pairs.negative, scene.global_fragments[0].fragments)
    assert not encoder.preloaded
    assert np.isfinite(encoder.train(2))
    assert encoder.embed(np.array([5, 0, 3])).shape == (3, 8)


def test_accumulation_says_when_it_trains_on_fewer_images_than_asked(scene, tmp_path):
    sink = InMemoryEventSink()
    stage = IdentificationStage(None, lambda size, n, settings: _TruthClassifier(scene.images, scene.animal),
                                None, SklearnClustering(), sink)
    _identify(scene, stage, tmp_path, disable_contrastive=True, maximal_images_per_animal=10000)
    [capped] = sink.of_type(ev.TrainingImagesCapped)
    assert (capped.maximal_images_per_animal, capped.images_per_animal) == (10000, 24000 // ANIMALS)
    sink = InMemoryEventSink()
    stage.events = sink
    _identify(scene, stage, tmp_path, disable_contrastive=True)
    assert not sink.of_type(ev.TrainingImagesCapped)


def _crowded(scene):
    """The scene without animal 2 in frames 0-29 and without animal 0 in frames 30-59: never all three apart."""
    keep = ~(((scene.animal == 2) & (scene.frame < 30)) | ((scene.animal == 0) & (scene.frame >= 30)))
    frame, animal = scene.frame[keep], scene.animal[keep]
    nxt = {(f, a): i for i, (f, a) in enumerate(zip(frame, animal))}
    links = np.array([[i, nxt[(f + 1, a)]] for i, (f, a) in enumerate(zip(frame, animal))
                      if (f + 1, a) in nxt and (f + 1) % RUN != 0])
    fragments = build_fragments(frame, links, np.ones(len(frame), bool))
    return SimpleNamespace(frame=frame, animal=animal, fragments=fragments,
                           global_fragments=build_global_fragments(frame, fragments, FRAMES, ANIMALS),
                           images=scene.images[keep], centroid=scene.centroid[keep], links=links)


def test_without_global_fragments_identities_are_learnt_from_the_most_animals_apart(scene, tmp_path):
    crowded = _crowded(scene)
    assert crowded.global_fragments == []
    sink = InMemoryEventSink()
    stage = IdentificationStage(None, lambda size, n, settings: _TruthClassifier(scene.images, scene.animal),
                                lambda settings: TorchContrastiveEncoder(16, "cpu"), SklearnClustering(), sink)
    result = _identify(crowded, stage, tmp_path)
    [warning] = sink.of_type(ev.NoGlobalFragment)
    assert (warning.number_of_animals, warning.animals_apart) == (ANIMALS, 2)
    assert 0 < warning.fragment_connectivity < 1 and result.fragment_connectivity == warning.fragment_connectivity
    mapping = {a: set(result.identities[crowded.animal == a]) for a in range(ANIMALS)}
    assert all(len(ids) == 1 and 0 not in ids for ids in mapping.values())
    assert len(set.union(*mapping.values())) == ANIMALS


def test_animals_never_apart_are_refused_in_one_line(scene, tmp_path):
    crossing_only = np.zeros(len(scene.frame), bool)  # every blob a crossing: no individual fragment
    fragments = build_fragments(scene.frame, scene.links, crossing_only)
    crowded = SimpleNamespace(**{**vars(scene), "fragments": fragments, "global_fragments": []})
    stage = IdentificationStage(None, None, None, SklearnClustering(), InMemoryEventSink())
    with pytest.raises(UserError, match="never two of the 3 animals are seen apart"):
        _identify(crowded, stage, tmp_path)
