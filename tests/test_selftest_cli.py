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


def test_selftest_rejects_impossible_render_settings(tmp_path, capsys):
    assert main(["--output", str(tmp_path / "t"), "--animals", "0"]) == 2
    assert "idtrackerai_test: error" in capsys.readouterr().err
