"""``idtrackerai`` merges local settings, --load files and options, and reports mistakes in one line."""

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import idtracker.entrypoints.app
import pytest
from idtracker.application.errors import UserError
from idtracker.application.settings import REMOVED_PARAMETERS, Settings, parameter_names
from idtracker.entrypoints.cli import GROUPS, build_settings, main


@pytest.fixture(autouse=True)
def in_tmp_dir(tmp_path, monkeypatch):
    """Run every command in an empty folder, so no stray local_settings.toml is read."""
    monkeypatch.chdir(tmp_path)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def run_main(argv: list[str], capsys) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(status: int, err: str, *fragments: str) -> None:
    assert status == 2
    assert err.startswith("idtrackerai: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and "usage:" not in err
    for fragment in fragments:
        assert fragment in err, err


def test_help_lists_every_group_in_order_and_every_parameter_with_its_default(capsys):
    status, out, _ = run_main(["-h"], capsys)
    assert status == 0
    positions = [out.index(f"\n{title}:\n") for title in (*GROUPS, "Deprecated")]
    assert positions == sorted(positions)
    for name in (*parameter_names(), *REMOVED_PARAMETERS, "load", "track", "version"):
        assert f"--{name} " in out or f"--{name}\n" in out, name
    flat = " ".join(out.split())
    assert "--number_of_animals <int> Number of different animals that appear in the video. (default: 0)" in flat
    assert "(choices: h5, npy, csv, csv_tidy, pickle, parquet, nc) (default: ['h5', 'npy', 'csv'])" in flat
    assert "(choices: trajectories, validation, knowledge_transfer, idmatcher.ai, all) (default: idmatcher.ai)" in flat
    assert "--intensity_ths <float> <float>" in flat


def test_help_does_not_import_numpy_or_the_pipeline():
    code = ("import sys; from idtracker.entrypoints.cli import main; main(['-h']); "
            "print(sorted(m for m in ('numpy', 'cv2', 'cattrs', 'torch') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().endswith("[]")


def test_version_prints_the_installed_distribution_version(capsys):
    status, out, _ = run_main(["--version"], capsys)
    assert status == 0 and out == f"idtrackerai {version('idtracker')}\n"


def test_console_script_is_installed_and_runs():
    script = Path(sys.executable).with_name("idtrackerai")
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("idtrackerai ")


def test_no_arguments_gives_default_settings_and_no_tracking():
    assert build_settings([]) == (Settings(), False, False)


def test_options_are_typed_like_toml_values():
    settings, track, _ = build_settings(["--number_of_animals", "8", "--intensity_ths", "0", "155", "--area_ths", "100",
                                      "inf", "--video_paths", "a.avi", "b.avi", "--number_of_parallel_workers", "-2",
                                      "--contrastive_silhouette_target", "0.8", "--track"])
    assert track
    assert settings.number_of_animals == 8 and settings.number_of_parallel_workers == -2
    assert settings.intensity_ths == (0, 155) and settings.area_ths == (100, float("inf"))
    assert settings.video_paths == [Path("a.avi"), Path("b.avi")]
    assert settings.contrastive_silhouette_target == 0.8


def test_option_names_are_case_insensitive_but_values_are_not():
    settings, *_ = build_settings(["--Number_Of_Animals", "8", "--NAME=MyFish"])
    assert settings.number_of_animals == 8 and settings.name == "MyFish"


@pytest.mark.parametrize(("text", "value"), [
    ("true", True), ("T", True), ("1", True), ("Yes", True),
    ("FALSE", False), ("f", False), ("0", False), ("no", False),
])
def test_bool_options_accept_the_usual_spellings(text, value):
    assert build_settings(["--use_bkg", text])[0].use_bkg is value


@pytest.mark.parametrize(("argv", "intervals"), [
    (["0,100"], [(0, 100)]),
    (["[0,100]"], [(0, 100)]),
    (["[0,100]", "[150,200]"], [(0, 100), (150, 200)]),
    (["0,100", "150,200"], [(0, 100), (150, 200)]),
    (["[0,100] [150,200]"], [(0, 100), (150, 200)]),
])
def test_tracking_intervals_accept_the_documented_forms(argv, intervals):
    assert build_settings(["--tracking_intervals", *argv])[0].tracking_intervals == intervals


def test_roi_list_option_accepts_entries_starting_with_a_minus():
    rois = ["+ Polygon [[0, 0], [50, 0], [50, 50]]", "- Polygon [[1, 1], [5, 1], [5, 5]]"]
    assert build_settings(["--roi_list", *rois])[0].roi_list == rois


def test_load_files_apply_in_order_and_options_override_them(tmp_path):
    base = write(tmp_path / "base.toml", "number_of_animals = 5\nname = 'base'\nframes_per_episode = 100\n")
    example = write(tmp_path / "example.toml", "number_of_animals = 8\nname = 'example'\n")
    settings, *_ = build_settings(["--load", str(base), str(example), "--name", "cli"])
    assert (settings.number_of_animals, settings.name, settings.frames_per_episode) == (8, "cli", 100)


def test_repeated_load_options_add_up_in_order(tmp_path):
    first = write(tmp_path / "first.toml", "number_of_animals = 5\nframes_per_episode = 100\n")
    second = write(tmp_path / "second.toml", "number_of_animals = 8\n")
    settings, *_ = build_settings(["--load", str(first), "--load", str(second)])
    assert (settings.number_of_animals, settings.frames_per_episode) == (8, 100)


def test_local_settings_in_working_directory_has_the_lowest_priority(tmp_path):
    write(tmp_path / "local_settings.toml", "number_of_animals = 3\nframes_per_episode = 42\n")
    loaded = write(tmp_path / "session.toml", "number_of_animals = 8\n")
    settings, *_ = build_settings(["--load", str(loaded)])
    assert (settings.number_of_animals, settings.frames_per_episode) == (8, 42)


def test_empty_option_value_unsets_what_a_file_set(tmp_path):
    loaded = write(tmp_path / "s.toml", "tracking_intervals = [[0, 100]]\noutput_dir = 'out'\n")
    settings, *_ = build_settings(["--load", str(loaded), "--tracking_intervals", "", "--output_dir", ""])
    assert settings.tracking_intervals is None and settings.output_dir is None


def test_relative_paths_are_taken_from_the_working_directory_or_where_only_the_file_has_them(tmp_path, monkeypatch):
    """idtracker.ai takes a settings file's relative paths from the working directory: a file written
    for it works unchanged; a file next to its videos works from anywhere too."""
    (tmp_path / "conf").mkdir()
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "a.avi").write_bytes(b"")
    (tmp_path / "conf" / "v.avi").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    written_for_idtrackerai = write(tmp_path / "conf" / "s.toml", "video_paths = ['videos/a.avi']\n")
    assert build_settings(["--load", str(written_for_idtrackerai)])[0].video_paths == [tmp_path / "videos" / "a.avi"]
    next_to_its_video = write(tmp_path / "conf" / "t.toml", "video_paths = 'v.avi'\noutput_dir = 'out'\n")
    settings = build_settings(["--load", str(next_to_its_video)])[0]
    assert settings.video_paths == [tmp_path / "conf" / "v.avi"]
    assert settings.output_dir == tmp_path / "out"  # nowhere yet: the working directory, as idtracker.ai
    assert build_settings(["--load", str(next_to_its_video), "--video_paths", "w.avi"])[0].video_paths == [Path("w.avi")]


def test_track_flag_hands_the_settings_to_the_tracking_app(monkeypatch):
    received = []
    monkeypatch.setattr(idtracker.entrypoints.app, "track",
                        lambda settings, overwrite: received.append((settings, overwrite)) or 0)
    assert main(["--number_of_animals", "4", "--track"]) == 0
    assert received[0][0].number_of_animals == 4 and received[0][1] is False
    assert main(["--track", "--overwrite"]) == 0 and received[1][1] is True


def test_tracking_status_is_the_exit_status(monkeypatch):
    monkeypatch.setattr(idtracker.entrypoints.app, "track", lambda settings, overwrite: 1)
    assert main(["--track"]) == 1


def test_without_track_and_without_a_display_says_to_add_track(capsys, monkeypatch):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    status, _, err = run_main(["--number_of_animals", "4"], capsys)
    assert_one_line_error(status, err, "no display to open the segmentation app on", "add --track")


@pytest.mark.parametrize(("argv", "fragments"), [
    (["--number_of_animal", "8"], ["unknown option --number_of_animal", "did you mean --number_of_animals?"]),
    (["--Frames_Per_Episod=5"], ["unknown option --frames_per_episod", "did you mean --frames_per_episode?"]),
    (["video.avi"], ["unexpected argument 'video.avi'", "--video_paths video.avi"]),
    (["--number_of_animals", "eight"], ["number_of_animals: got 'eight', expected an integer"]),
    (["--use_bkg", "maybe"], ["use_bkg: got 'maybe', expected true or false"]),
    (["--use_bkg"], ["--use_bkg: expected one argument"]),
    (["--intensity_ths", "10"], ["--intensity_ths: expected 2 arguments"]),
    (["--intensity_ths", "0", "300"], ["intensity_ths: [0.0, 300.0] is invalid", "0 <= low <= high <= 255"]),
    (["--frames_per_episode", "0"], ["frames_per_episode: 0 is too small"]),
    (["--random_seed", "-1"], ["random_seed: -1 is too small"]),
    (["--data_policy", "everything"], ["data_policy: 'everything' is not a policy", "idmatcher.ai"]),
    (["--tracking_intervals", "0-100"], ["tracking_intervals: got ['0-100'], expected a list of [start, end]"]),
    (["--tracking_intervals", "100,50"], ["tracking_intervals: [100, 50] is invalid"]),
    (["--roi_list", "+ Polygon [[0, 0], [1, 1]]"], ["roi_list entry 1", "at least 3 points", "+ Polygon [[x, y]"]),
    (["--protocol3_action", "x"], ["protocol3_action: this parameter was removed", "contrastive"]),
    (["--IDENTITY_TRANSFER", "x"], ["identity_transfer: this parameter was removed", "knowledge_transfer_folder"]),
    (["--load", "missing.toml"], ["settings file missing.toml does not exist"]),
])
def test_mistake_is_one_line_naming_the_parameter_with_exit_status_2(argv, fragments, capsys):
    status, _, err = run_main([*argv, "--track"], capsys)
    assert_one_line_error(status, err, *fragments)


def test_mistake_in_a_loaded_file_is_one_line_naming_file_and_line(tmp_path, capsys):
    broken = write(tmp_path / "broken.toml", "name = 'a'\nuse_bkg = yes\n")
    status, _, err = run_main(["--load", str(broken), "--track"], capsys)
    assert_one_line_error(status, err, "broken.toml", "line 2")


def test_unknown_parameter_in_a_loaded_file_names_the_closest_one(tmp_path, capsys):
    loaded = write(tmp_path / "s.toml", "intensity_th = [0, 130]\n")
    status, _, err = run_main(["--load", str(loaded), "--track"], capsys)
    assert_one_line_error(status, err, "intensity_th: unknown parameter; did you mean intensity_ths?")


def test_build_settings_raises_user_error_for_main_to_report():
    with pytest.raises(UserError, match="number_of_animals"):
        build_settings(["--number_of_animals", "-3"])
