"""Knowledge transfer: a previous session's model names the identities of the next one, and is read as data only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from idtracker.adapters.identification.torch_classifier import TorchIdentityClassifier
from idtracker.adapters.identification.transfer_model import load_transfer_model
from idtracker.adapters.storage.ground_truth_file import read_ground_truth
from idtracker.adapters.storage.trajectory_files import read_trajectories
from idtracker.adapters.video.renderer import RenderSettings, render_video
from idtracker.application.errors import ModelUnusable
from idtracker.domain.identity_transfer import match_identities, sample_per_identity, vote_table
from idtracker.domain.scoring import identity_accuracy
from idtracker.entrypoints.cli import main
from idtracker.entrypoints.idmatcher_cli import main as matcher_main
from idtracker.entrypoints.inspect_clusters_cli import main as inspect_main


class _Payload:
    """Pickles into a call that writes a marker file: what a booby-trapped model would run."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "the payload ran"))


def test_votes_name_each_identity_by_the_majority_of_its_images():
    identity = np.repeat(np.arange(3), 10)
    previous = np.array([2, 0, 1])[identity]  # identity k was the previous 2, 0, 1
    log_proba = np.log(np.full((30, 3), 0.1))
    log_proba[np.arange(30), previous] = np.log(0.8)
    log_proba[:3, :] = np.log([0.8, 0.1, 0.1])  # three images of identity 0 vote for 0
    matched = match_identities(vote_table(identity, log_proba, 3))
    assert matched.match.tolist() == [2, 0, 1]
    assert matched.agreement.tolist() == pytest.approx([0.7, 1.0, 1.0]) and matched.succeeded
    assert matched.quality == pytest.approx(0.7)


def test_a_transfer_without_a_majority_is_not_trusted():
    identity = np.repeat(np.arange(2), 10)
    log_proba = np.log(np.full((20, 2), 0.5))
    log_proba[::2, 0] = np.log(0.9)  # half the images of each identity vote for each previous one
    log_proba[1::2, 1] = np.log(0.9)
    assert not match_identities(vote_table(identity, log_proba, 2)).succeeded


def test_sampling_takes_at_most_the_asked_images_per_identity():
    identity = np.array([0] * 50 + [1] * 3)
    chosen = sample_per_identity(identity, 2, 10)
    assert np.bincount(identity[chosen]).tolist() == [10, 3]


def _saved_cnn(folder: Path, n: int = 3, size: int = 24) -> Path:
    classifier = TorchIdentityClassifier(size, n)
    classifier.save(folder / "accumulation", {"n_classes": n, "image_size": [size, size, 1], "resolution_reduction": 1.0})
    return folder


def test_a_saved_identity_cnn_loads_from_its_session_folder_and_scores_images(tmp_path):
    model = load_transfer_model(_saved_cnn(tmp_path / "session_old"))
    assert (model.kind, model.n_classes, model.image_size, model.resolution_reduction) == ("cnn", 3, 24, 1.0)
    scores = model.log_proba(np.zeros((5, 24, 24), np.uint8))
    assert scores.shape == (5, 3) and np.allclose(np.exp(scores).sum(1), 1.0)
    fresh = TorchIdentityClassifier(24, 3, seed=7)
    assert fresh.warm_start(model)
    assert all(torch.equal(a, b) for a, b in zip(fresh.model.state_dict().values(), model.state.values()))
    assert not TorchIdentityClassifier(24, 4).warm_start(model)  # other class count: random start kept


def test_a_booby_trapped_model_is_refused_before_its_payload_runs(tmp_path):
    folder = _saved_cnn(tmp_path / "session_old")
    marker = tmp_path / "marker.txt"
    torch.save({"weights": _Payload(marker)}, folder / "accumulation" / "identifier_cnn.model.pt")
    with pytest.raises(ModelUnusable, match="needs more than weights"):
        load_transfer_model(folder)
    assert not marker.exists()


@pytest.mark.parametrize("damage, reason", [
    (lambda f: (f / "model_params.json").unlink(), "no model_params.json"),
    (lambda f: (f / "model_params.json").write_text("{not json"), "not a model description"),
    (lambda f: (f / "identifier_cnn.model.pt").write_bytes(b"garbage"), "model file"),
    (lambda f: (f / "identifier_cnn.model.pt").unlink(), "holds no identification model"),
    (lambda f: torch.save({"conv.weight": torch.zeros(2)}, f / "identifier_cnn.model.pt"), "weights of another network"),
])
def test_an_unusable_model_folder_says_why_in_one_line(tmp_path, damage, reason):
    folder = _saved_cnn(tmp_path / "session_old")
    damage(folder / "accumulation")
    with pytest.raises(ModelUnusable, match=reason) as error:
        load_transfer_model(folder)
    assert "\n" not in str(error.value)


def _track(video: Path, out: Path, name: str, *extra: str) -> Path:
    assert main(["--load", str(video.with_suffix(".toml")), "--output_dir", str(out), "--name", name,
                 "--track", *extra]) == 0
    return out / f"session_{name}"


def _identity_of_each_animal(folder: Path, session: Path, start: int, stop: int) -> dict[int, int]:
    truth = read_ground_truth(folder)
    out = read_trajectories(session)["trajectories"]
    acc = identity_accuracy(truth.positions[start:stop], truth.touching[start:stop], truth.body_length, out[start:stop])
    assert acc.acc_individual >= 0.99
    return {animal: k for k, animal in acc.mapping}


@pytest.mark.slow
def test_the_second_half_of_a_video_keeps_the_identities_of_the_first(tmp_path, monkeypatch):
    """Issue 13: tracked as two sessions, the second transferring from the first, every animal keeps its identity."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "video"
    rendered = render_video(RenderSettings(animals=4, frames=400, width=360, height=360, body_length=32.0,
                                           distinctness=0.8, name="four"), folder)
    first = _track(rendered.video_path, tmp_path, "first", "--tracking_intervals", "[0,200]")
    marker = tmp_path / "marker.txt"
    second = _track(rendered.video_path, tmp_path, "second", "--tracking_intervals", "[200,400]",
                    "--knowledge_transfer_folder", str(first))
    info = json.loads((second / "session.json").read_text())
    assert info["identity_transfer_succeeded"] is True and info["identity_transfer_quality"] > 0.5
    assert info["id_image_size"] == json.loads((first / "session.json").read_text())["id_image_size"]
    assert _identity_of_each_animal(folder, second, 200, 400) == _identity_of_each_animal(folder, first, 0, 200)
    log = (tmp_path / "idtrackerai.log").read_text()
    assert "knowledge_transfer_loaded" in log and "identities_transferred" in log
    # The same folder with a booby-trapped model: one warning, tracked without transfer, no payload run.
    model = next((first / "accumulation").glob("identifier_*.model.pt"))
    torch.save({"weights": _Payload(marker)}, model)
    third = _track(rendered.video_path, tmp_path, "third", "--tracking_intervals", "[200,400]",
                   "--knowledge_transfer_folder", str(first))
    assert not marker.exists()
    assert json.loads((third / "session.json").read_text())["identity_transfer_succeeded"] is False
    assert "needs more than weights to load" in (tmp_path / "idtrackerai.log").read_text()


@pytest.mark.slow
def test_idmatcher_matches_every_identity_of_independently_tracked_sessions(tmp_path, monkeypatch, capsys):
    """Issue 13: two halves of a video tracked without transfer; idmatcherai names each identity right."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "video"
    rendered = render_video(RenderSettings(animals=4, frames=400, width=360, height=360, body_length=32.0,
                                           distinctness=0.8, seed=3, name="four"), folder)
    first = _track(rendered.video_path, tmp_path, "first", "--tracking_intervals", "[0,200]")
    alone = _track(rendered.video_path, tmp_path, "alone", "--tracking_intervals", "[200,400]")
    master_ids = _identity_of_each_animal(folder, first, 0, 200)
    own_ids = _identity_of_each_animal(folder, alone, 200, 400)
    assert matcher_main([str(first), str(alone)]) == 0
    results = alone / "matching_results" / first.name
    rows = (results / "assignments.csv").read_text().splitlines()
    assert rows[0] == "identity,assignment,direct score,indirect score"
    assignment = {int(r.split(",")[0]) - 1: int(r.split(",")[1]) - 1 for r in rows[1:]}
    assert all(assignment[own_ids[animal]] == master_ids[animal] for animal in range(4))
    for name in ("direct", "indirect", "joined"):
        assert (results / "csv" / f"{name}_matches.csv").is_file() and (results / "png" / f"{name}_matches.png").is_file()
    assert "agreement" in capsys.readouterr().out and "sessions_matched" in (tmp_path / "idtrackerai.log").read_text()
    # The same session's contrastive embedding, pictured: one coloured island per identity.
    assert inspect_main([str(first), "--images_per_id", "100"]) == 0
    table = (first / "cluster_inspection" / "embeddings.csv").read_text().splitlines()
    assert table[0].startswith("fragment,dim_0") and table[0].endswith("t-SNE_1,t-SNE_2,predicted_id")
    assert len(table) == 1 + 4 * 100 and (first / "cluster_inspection" / "predicted_t-SNE.png").stat().st_size > 10_000


def test_inspect_clusters_without_a_contrastive_encoder_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    session = _saved_cnn(tmp_path / "session_old")
    (session / "session.json").write_text(json.dumps({"number_of_animals": 3, "id_image_size": [24, 24, 1]}))
    (session / "identification_images").mkdir()
    from idtracker.adapters.identification.id_images import write_id_images

    write_id_images(session / "identification_images" / "id_images_0.h5", np.zeros((6, 24, 24), np.uint8))
    (session / "preprocessing").mkdir()
    np.savez(session / "preprocessing" / "blobs.npz", identity=np.array([1, 2, 3, 1, 2, 3]), fragment=np.arange(6), is_individual=np.ones(6, bool))
    assert inspect_main([str(session)]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "holds no contrastive encoder" in line and "disable_contrastive" in line


def test_idmatcher_refuses_a_folder_that_is_not_a_session_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert matcher_main([str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "no session.json" in line


def test_a_renamed_sessions_model_scores_identities_by_their_new_names(tmp_path):
    folder = _saved_cnn(tmp_path / "session_old")
    plain = load_transfer_model(folder).log_proba(np.full((2, 24, 24), 90, np.uint8))
    params = folder / "accumulation" / "model_params.json"
    params.write_text(json.dumps({**json.loads(params.read_text()), "class_identities": [3, 1, 2]}))
    renamed = load_transfer_model(folder).log_proba(np.full((2, 24, 24), 90, np.uint8))
    assert np.allclose(renamed[:, [2, 0, 1]], plain)  # class 0 is identity 3 now, and so on
    params.write_text(json.dumps({**json.loads(params.read_text()), "class_identities": [1, 1, 2]}))
    with pytest.raises(ModelUnusable, match="class_identities"):
        load_transfer_model(folder)
