"""TOML settings files load as idtracker.ai loads them, and every mistake is one line naming the parameter."""

import json
import math
import tomllib
from pathlib import Path

import pytest
from idtracker.adapters.config.toml_settings import MAX_TOML_BYTES, load_toml, merge, structure_settings
from idtracker.application.errors import UserError
from idtracker.application.settings import Settings, dump_settings

# The seed documentation's "File example": every parameter at its default.
SEED_EXAMPLE = """\
# Segmentation app defaults
name = ''
video_paths = ''
intensity_ths = [0, 130]
area_ths = [50.0, inf]
tracking_intervals = ""
number_of_animals = 0
use_bkg = false
check_segmentation = false
track_wo_identities = false
roi_list = ''
exclusive_rois = false
# Output
output_dir = ''
trajectories_formats = ["h5", "npy", "csv"]
bounding_box_images_in_ram = false
data_policy = 'idmatcher.ai'
# Background subtraction
background_subtraction_stat = 'median'
number_of_frames_for_background = 50
# Parallel processing
number_of_parallel_workers = 0
frames_per_episode = 500
# Knowledge and identity transfer
knowledge_transfer_folder = ''
id_image_size = ''
resolution_reduction = ''
# Contrastive
disable_contrastive = false
contrastive_min_accumulation = 0.5
contrastive_batchsize = 400
contrastive_silhouette_target = 0.91
contrastive_patience = 30
contrastive_max_mbytes = ''
# Advanced hyper-parameters
threshold_early_stop_accumulation = 0.999
maximal_images_per_animal = 3000
device= ""
torch_compile = false
"""


def write(folder: Path, text: str, name: str = "settings.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def assert_one_line_error(raised: pytest.ExceptionInfo, *fragments: str) -> None:
    message = str(raised.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_seed_example_file_loads_to_the_default_settings(tmp_path):
    settings = structure_settings(load_toml(write(tmp_path, SEED_EXAMPLE)))
    assert settings.intensity_ths == (0, 130) and settings.area_ths == (50.0, math.inf)
    defaults = Settings()
    defaults.intensity_ths, defaults.area_ths = settings.intensity_ths, settings.area_ths
    assert settings == defaults


def test_keys_are_lower_cased(tmp_path):
    assert load_toml(write(tmp_path, "Number_Of_Animals = 8\nNAME = 'x'\n")) == {"number_of_animals": 8, "name": "x"}


def test_empty_string_value_loads_as_none(tmp_path):
    assert load_toml(write(tmp_path, "output_dir = ''\ntracking_intervals = \"\"\n")) == {
        "output_dir": None, "tracking_intervals": None}


def test_toml_inf_and_text_inf_both_give_an_unbounded_area(tmp_path):
    native = structure_settings(load_toml(write(tmp_path, "area_ths = [50, inf]\n")))
    text = structure_settings(load_toml(write(tmp_path, "area_ths = [50, 'inf']\n")))
    assert native.area_ths == text.area_ths == (50.0, math.inf)


def test_relative_paths_are_taken_from_the_working_directory_unless_only_the_toml_folder_has_them(tmp_path, monkeypatch):
    folder = tmp_path / "project"
    (folder / "videos").mkdir(parents=True)
    (folder / "videos" / "a.avi").write_bytes(b"")
    (folder / "bkg.png").write_bytes(b"png")
    (tmp_path / "cwd" / "session_old").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "cwd")
    params = load_toml(write(folder, "video_paths = ['videos/a.avi', '/data/b.avi']\noutput_dir = 'out'\n"
                                     "knowledge_transfer_folder = 'session_old'\n"
                                     "background_subtraction_stat = 'bkg.png'\n"))
    assert params["video_paths"] == [str(folder / "videos/a.avi"), "/data/b.avi"]
    assert params["output_dir"] == str(tmp_path / "cwd" / "out")
    assert params["knowledge_transfer_folder"] == str(tmp_path / "cwd" / "session_old")
    assert params["background_subtraction_stat"] == str(folder / "bkg.png")
    assert structure_settings(params).background_subtraction_stat == str(folder / "bkg.png")


def test_single_video_path_string_is_resolved_and_wrapped_into_a_list(tmp_path):
    (tmp_path / "a.avi").write_bytes(b"")
    settings = structure_settings(load_toml(write(tmp_path, "video_paths = 'a.avi'\n")))
    assert settings.video_paths == [tmp_path / "a.avi"]


def test_background_statistic_keyword_is_not_taken_as_a_path(tmp_path):
    assert load_toml(write(tmp_path, "background_subtraction_stat = 'max'\n")) == {"background_subtraction_stat": "max"}


def test_missing_file_is_a_user_error_naming_it(tmp_path):
    with pytest.raises(UserError) as raised:
        load_toml(tmp_path / "nope.toml")
    assert_one_line_error(raised, "nope.toml", "does not exist")


def test_file_over_five_million_bytes_is_refused(tmp_path):
    path = write(tmp_path, "# " + "x" * MAX_TOML_BYTES + "\n")
    with pytest.raises(UserError) as raised:
        load_toml(path)
    assert_one_line_error(raised, "settings.toml", str(MAX_TOML_BYTES))


def test_toml_syntax_error_is_one_line_with_file_and_line(tmp_path):
    path = write(tmp_path, "name = 'a'\nnumber_of_animals = = 8\n")
    with pytest.raises(UserError) as raised:
        load_toml(path)
    assert_one_line_error(raised, str(path), "invalid TOML", "line 2")


def test_windows_path_in_double_quotes_gets_the_single_quotes_hint(tmp_path):
    with pytest.raises(UserError) as raised:
        load_toml(write(tmp_path, 'video_paths = "C:\\Users\\me\\video.avi"\n'))
    assert_one_line_error(raised, "line 1", "'single quotes'")


def test_later_dicts_override_earlier_ones_in_merge():
    assert merge([{"a": 1, "b": 1}, {"b": 2, "c": 2}, {"c": 3}]) == {"a": 1, "b": 2, "c": 3}


def test_parameter_names_are_case_insensitive():
    assert structure_settings({"Number_Of_Animals": 8, "USE_BKG": True}).number_of_animals == 8


def test_same_parameter_in_two_cases_is_an_error():
    with pytest.raises(UserError, match="number_of_animals: given twice"):
        structure_settings({"number_of_animals": 8, "NUMBER_OF_ANIMALS": 9})


@pytest.mark.parametrize("unset", [None, "", []])
def test_unset_value_takes_the_default(unset):
    settings = structure_settings({"device": unset, "trajectories_formats": unset, "tracking_intervals": unset})
    assert settings.device == "" and settings.trajectories_formats == ["h5", "npy", "csv"]
    assert settings.tracking_intervals is None


def test_unknown_parameter_names_the_closest_valid_one():
    with pytest.raises(UserError) as raised:
        structure_settings({"number_of_animal": 8})
    assert_one_line_error(raised, "number_of_animal: unknown parameter", "did you mean number_of_animals?")


def test_unknown_parameter_without_a_close_match_points_to_help():
    with pytest.raises(UserError, match="zzz: unknown parameter; see idtrackerai -h"):
        structure_settings({"zzz": 1})


@pytest.mark.parametrize(("name", "replacement"), [
    ("protocol3_action", "contrastive"),
    ("identity_transfer", "knowledge_transfer_folder"),
    ("convert_trajectories_to_csv_and_json", "trajectories_formats"),
])
def test_removed_parameter_says_it_was_removed_and_what_replaces_it(name, replacement):
    with pytest.raises(UserError) as raised:
        structure_settings({name.upper(): 1})
    assert_one_line_error(raised, f"{name}: this parameter was removed", replacement)


@pytest.mark.parametrize(("params", "expected"), [
    ({"number_of_animals": "eight"}, "number_of_animals: got 'eight', expected an integer"),
    ({"number_of_animals": 3.5}, "number_of_animals: got 3.5, expected an integer"),
    ({"number_of_animals": True}, "number_of_animals: got True, expected an integer"),
    ({"use_bkg": "maybe"}, "use_bkg: got 'maybe', expected true or false"),
    ({"intensity_ths": [0, 1, 2]}, "intensity_ths: got [0, 1, 2], expected a list of two numbers"),
    ({"area_ths": [50, "big"]}, "area_ths: got [50, 'big'], expected a list of two numbers"),
    ({"name": 5}, "name: got 5, expected a string"),
    ({"video_paths": 5}, "video_paths: got 5, expected a list of paths"),
    ({"tracking_intervals": [[0, "a"]]}, "tracking_intervals: got [[0, 'a']], expected a list of [start, end] integer pairs"),
    ({"tracking_intervals": [0, 100, 200]}, "tracking_intervals: got [0, 100, 200], expected a list of [start, end]"),
    ({"tracking_intervals": "0-100"}, "tracking_intervals: got ['0-100'], expected a list of [start, end]"),
    ({"id_image_size": [40, 41, 1]}, "id_image_size: got [40, 41, 1], expected an integer or [size, size, 1]"),
])
def test_wrong_type_names_parameter_value_and_expected_type(params, expected):
    with pytest.raises(UserError) as raised:
        structure_settings(params)
    assert_one_line_error(raised, expected)


@pytest.mark.parametrize(("params", "expected"), [
    ({"number_of_animals": -1}, "number_of_animals: -1 is too small"),
    ({"random_seed": -3}, "random_seed: -3 is too small; it must be an integer >= 0"),
    ({"random_seed": 2 ** 32}, "random_seed: 4294967296 is too large; it must be an integer <= 4294967295"),
    ({"frames_per_episode": 0}, "frames_per_episode: 0 is too small"),
    ({"number_of_frames_for_background": 0}, "number_of_frames_for_background: 0 is too small"),
    ({"contrastive_batchsize": 0}, "contrastive_batchsize: 0"),
    ({"contrastive_patience": 0}, "contrastive_patience: 0"),
    ({"maximal_images_per_animal": 0}, "maximal_images_per_animal: 0"),
    ({"id_image_size": 1}, "id_image_size: 1 is too small"),
    ({"id_image_size": 7}, "id_image_size: 7 is too small; it must be an integer >= 8"),
    ({"intensity_ths": [0, 300]}, "intensity_ths: [0.0, 300.0] is invalid; give [low, high] with 0 <= low <= high <= 255"),
    ({"intensity_ths": [150, 100]}, "intensity_ths: [150.0, 100.0] is invalid"),
    ({"area_ths": [100, 50]}, "area_ths: [100.0, 50.0] is invalid"),
    ({"area_ths": [-1, 50]}, "area_ths: [-1.0, 50.0] is invalid"),
    ({"tracking_intervals": [[100, 50]]}, "tracking_intervals: [100, 50] is invalid; each interval is [start, end)"),
    ({"tracking_intervals": [[-5, 50]]}, "tracking_intervals: [-5, 50] is invalid"),
    ({"contrastive_min_accumulation": 1.5}, "contrastive_min_accumulation: 1.5 is out of range"),
    ({"contrastive_silhouette_target": -0.1}, "contrastive_silhouette_target: -0.1 is out of range"),
    ({"threshold_early_stop_accumulation": 2}, "threshold_early_stop_accumulation: 2.0 is out of range"),
    ({"resolution_reduction": 0}, "resolution_reduction: 0.0 is out of range; it must be > 0 and <= 1"),
    ({"contrastive_max_mbytes": 0}, "contrastive_max_mbytes: 0.0 is out of range"),
    ({"trajectories_formats": ["h5", "xls"]}, "trajectories_formats: 'xls' is not a format; choose among h5, npy"),
    ({"data_policy": "some"}, "data_policy: 'some' is not a policy; choose one of trajectories"),
    ({"background_subtraction_stat": "mode"}, "background_subtraction_stat: 'mode' is neither a statistic"),
    ({"device": "GPU 0"}, "device: 'GPU 0' is not a torch device name"),
    ({"name": "a/b"}, "name: 'a/b' contains a path separator"),
    ({"roi_list": "+ Polygon [[1, 2]]"}, "roi_list entry 1"),
])
def test_out_of_range_value_names_parameter_value_and_what_is_valid(params, expected):
    with pytest.raises(UserError) as raised:
        structure_settings(params)
    assert_one_line_error(raised, expected)


@pytest.mark.parametrize("intervals", [[0, 100], [[0, 100]], "0,100", "[0, 100]", ["(0,100)"]])
def test_one_tracking_interval_in_any_spelling_becomes_a_list_of_one_pair(intervals):
    assert structure_settings({"tracking_intervals": intervals}).tracking_intervals == [(0, 100)]


def test_several_tracking_intervals_in_one_text_are_split():
    settings = structure_settings({"tracking_intervals": "[0,100] [150, 200]"})
    assert settings.tracking_intervals == [(0, 100), (150, 200)]


def test_single_roi_string_is_wrapped_into_a_list():
    roi = "+ Polygon [[0, 0], [5, 0], [5, 5]]"
    assert structure_settings({"roi_list": roi}).roi_list == [roi]


@pytest.mark.parametrize("size", [40, [40, 40, 1], "40"])
def test_id_image_size_accepts_an_int_or_idtrackerai_shape(size):
    assert structure_settings({"id_image_size": size}).id_image_size == 40


def test_dump_is_plain_json_and_toml_data_that_loads_back_equal(tmp_path):
    settings = structure_settings({"video_paths": [tmp_path / "a.avi"], "area_ths": [50, math.inf],
                                   "intensity_ths": [0, 130], "tracking_intervals": [[0, 100]], "id_image_size": 40})
    dumped = dump_settings(settings)
    assert dumped["video_paths"] == [str(tmp_path / "a.avi")]
    assert dumped["output_dir"] == "" and dumped["tracking_intervals"] == [[0, 100]]
    assert structure_settings(json.loads(json.dumps(dumped))) == settings
    toml_text = "".join(f"{name} = {json.dumps(value).replace('Infinity', 'inf')}\n" for name, value in dumped.items())
    assert structure_settings(tomllib.loads(toml_text)) == settings


def test_unset_unknown_parameter_is_still_reported():
    with pytest.raises(UserError, match="intensity_th: unknown parameter; did you mean intensity_ths?"):
        structure_settings({"intensity_th": None})
