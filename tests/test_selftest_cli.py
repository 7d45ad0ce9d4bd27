"""``idtrackerai_test`` renders, tracks with identities and reports accuracy against ground truth."""

import pytest

from idtracker.entrypoints.selftest_cli import main


@pytest.mark.slow
def test_selftest_tracks_a_rendered_video_and_reports_accuracy(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = main(["--output", str(tmp_path / "t"), "--animals", "3", "--frames", "80", "--seed", "3"])
    out = capsys.readouterr().out
    assert "identity accuracy, individual frames" in out and "Animal detection" in out
    assert code == 0, out[-2000:]
    assert (tmp_path / "t" / "session_idtrackerai_test" / "trajectories" / "trajectories.npy").exists()


@pytest.mark.slow
def test_selftest_with_its_defaults_passes(tmp_path, monkeypatch, capsys):
    """What a new user runs first: 8 rendered fish, 300 frames, no flags. It must pass (>= 99 %)."""
    monkeypatch.chdir(tmp_path)
    code = main(["--output", str(tmp_path / "t")])
    out = capsys.readouterr().out
    assert code == 0, out[-2000:]
    assert "idtrackerai_test: passed" in out


def test_selftest_rejects_impossible_render_settings(tmp_path, capsys):
    assert main(["--output", str(tmp_path / "t"), "--animals", "0"]) == 2
    assert "idtrackerai_test: error" in capsys.readouterr().err
