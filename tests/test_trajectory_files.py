"""Trajectories files: idtracker.ai's layouts written for real in tmp_path, read back, converted."""

import itertools
import json
import pickle
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from idtracker.adapters.storage import trajectory_binary
from idtracker.adapters.storage.trajectory_files import (
    FORMATS,
    TRAJECTORY_KEYS,
    find_trajectories,
    read_trajectories,
    trajectories_dict,
    write_trajectories,
)
from idtracker.application.errors import UserError
from synthetic_videos import SHARED

REFERENCE = SHARED / "data" / "reference" / "test_A"
needs_reference = pytest.mark.skipif(not REFERENCE.is_dir(), reason="reference data not available")

WRITTEN_FILES = {
    "h5": ["trajectories.h5"],
    "npy": ["trajectories.npy"],
    "csv": ["trajectories_csv/trajectories.csv", "trajectories_csv/id_probabilities.csv",
            "trajectories_csv/areas.csv", "trajectories_csv/attributes.json"],
    "csv_tidy": ["trajectories_tidy.csv", "attributes_tidy.json"],
    "pickle": ["trajectories.pickle"],
    "parquet": ["trajectories.parquet"],
    "nc": ["trajectories.nc"],
}
READ_FROM = {"h5": "trajectories.h5", "npy": "trajectories.npy", "csv": "trajectories_csv",
             "csv_tidy": "trajectories_tidy.csv", "pickle": "trajectories.pickle", "parquet": "trajectories.parquet",
             "nc": "trajectories.nc"}
TEXT_FORMATS = {"csv", "csv_tidy"}
METADATA_KEYS = [key for key in TRAJECTORY_KEYS if key not in ("trajectories", "id_probabilities", "areas")]


def _tracked(n_frames: int = 7, n_animals: int = 3) -> dict:
    """A dict like tracking produces: an animal missing for a while, one crossing, full-precision floats."""
    rng = np.random.default_rng(0)
    positions = rng.uniform(0, 1000, (n_frames, n_animals, 2))
    positions[2:4, -1] = np.nan
    probabilities = rng.uniform(0.5, 1, (n_frames, n_animals, 1))
    probabilities[2:4, -1] = 0.0
    probabilities[5, 0] = np.nan
    return trajectories_dict(
        trajectories=positions, id_probabilities=probabilities, version="0.1.0", height=480, width=640,
        video_paths=["/videos/a.avi", "/videos/b.avi"], frames_per_second=28.07, body_length=57.428216,
        estimated_accuracy=0.987654321,
        areas={key: rng.uniform(200, 400, n_animals) for key in ("mean", "median", "std")},
        setup_points={"corners": [[1, 2], [3, 4]]}, identities_groups={"males": [1, 3]}, length_unit=None,
        silhouette_score=0.75, fragment_connectivity=None)


def _write_read(data: dict, folder: Path, fmt: str) -> dict:
    write_trajectories(data, folder, [fmt])
    return read_trajectories(folder / READ_FROM[fmt])


def _assert_same(read: dict, expected: dict, exact: bool, csv_areas: bool = False) -> None:
    """Equal keys, order and dtypes; numbers equal, or to the precision a text format prints."""
    assert list(read) == list(TRAJECTORY_KEYS)
    assert {key: read[key] for key in METADATA_KEYS} == {key: expected[key] for key in METADATA_KEYS}
    position_tolerance, probability_tolerance = (0, 0) if exact else (5.01e-4, 5.01e-4)
    np.testing.assert_allclose(read["trajectories"], expected["trajectories"], rtol=0, atol=position_tolerance)
    np.testing.assert_allclose(read["id_probabilities"], expected["id_probabilities"], rtol=probability_tolerance)
    for key in ("mean", "median", "std"):
        np.testing.assert_allclose(read["areas"][key], expected["areas"][key], rtol=0, atol=0.0501 if csv_areas else 0)


def _no_temporary_files(folder: Path) -> bool:
    return not [path for path in folder.rglob("*") if path.name.startswith(".") or path.suffix == ".tmp"]


# ---- the dict ----------------------------------------------------------------------------------

def test_trajectories_dict_has_idtrackerai_keys_in_order_with_its_dtypes_and_shapes():
    data = _tracked(n_frames=7, n_animals=3)
    assert list(data) == list(TRAJECTORY_KEYS)
    assert data["trajectories"].dtype == np.float64 and data["trajectories"].shape == (7, 3, 2)
    assert data["id_probabilities"].dtype == np.float64 and data["id_probabilities"].shape == (7, 3, 1)
    assert list(data["areas"]) == ["mean", "median", "std"]
    assert all(values.dtype == np.float64 and values.shape == (3,) for values in data["areas"].values())
    assert type(data["height"]) is int and type(data["width"]) is int and type(data["version"]) is str
    assert type(data["frames_per_second"]) is float and type(data["body_length"]) is float
    assert data["video_paths"] == ["/videos/a.avi", "/videos/b.avi"]
    assert data["length_unit"] is None and data["fragment_connectivity"] is None


def test_trajectories_dict_defaults_to_what_idtrackerai_writes_without_information():
    positions = np.full((4, 2, 2), 5.0)
    positions[0, 1] = np.nan
    data = trajectories_dict(trajectories=positions, version="v", height=1, width=1, video_paths=[],
                             frames_per_second=10, body_length=3)
    assert data["identities_labels"] == ["1", "2"]
    assert data["fraction_identified"] == 7 / 8
    assert data["id_probabilities"][0, 1, 0] == 0.0 and np.isnan(data["id_probabilities"][0, 0, 0])
    assert np.isnan(data["areas"]["mean"]).all() and data["setup_points"] == {} and data["identities_groups"] == {}


def test_trajectories_dict_rejects_positions_that_are_not_xy_pairs():
    with pytest.raises(ValueError, match="frames, animals, 2"):
        trajectories_dict(trajectories=np.zeros((4, 2, 3)), version="v", height=1, width=1, video_paths=[],
                          frames_per_second=10, body_length=3)


# ---- writing ----------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_writes_idtrackerai_file_names_and_returns_them(tmp_path, fmt):
    written = write_trajectories(_tracked(), tmp_path, [fmt])
    assert written == [tmp_path / name for name in WRITTEN_FILES[fmt]]
    assert all(path.is_file() for path in written)


def test_writing_every_format_leaves_no_temporary_files(tmp_path):
    write_trajectories(_tracked(), tmp_path, FORMATS)
    write_trajectories(_tracked(), tmp_path, FORMATS)  # overwriting too
    assert _no_temporary_files(tmp_path)


def test_interrupted_write_keeps_the_previous_file_whole_and_no_temporary_file(tmp_path, monkeypatch):
    write_trajectories(_tracked(), tmp_path, ["pickle"])
    before = (tmp_path / "trajectories.pickle").read_bytes()

    def dump_half_then_fail(data, file, protocol):
        file.write(pickle.dumps(data)[:100])
        raise KeyboardInterrupt

    monkeypatch.setattr(trajectory_binary.pickle, "dump", dump_half_then_fail)
    with pytest.raises(KeyboardInterrupt):
        write_trajectories(_tracked(n_frames=20), tmp_path, ["pickle"])
    assert (tmp_path / "trajectories.pickle").read_bytes() == before
    assert _no_temporary_files(tmp_path)


def test_unknown_format_is_a_user_error_listing_the_accepted_ones(tmp_path):
    with pytest.raises(UserError, match="'xlsx' unknown; accepted: h5, npy, csv, csv_tidy, pickle, parquet"):
        write_trajectories(_tracked(), tmp_path, ["npy", "xlsx"])
    assert not list(tmp_path.iterdir())


def test_h5_stores_arrays_as_gzip_datasets_groups_for_dicts_and_scalars_as_root_attributes(tmp_path):
    write_trajectories(_tracked(), tmp_path, ["h5"])
    with h5py.File(tmp_path / "trajectories.h5") as file:
        assert file["trajectories"].compression == "gzip" and file["id_probabilities"].compression == "gzip"
        assert set(file["areas"]) == {"mean", "median", "std"}
        assert file["setup_points"]["corners"][()].tolist() == [[1, 2], [3, 4]]
        assert file["identities_groups"]["males"][()].tolist() == [1, 3]
        assert file.attrs["length_unit"] == -1
        assert "fragment_connectivity" not in file.attrs and "estimated_accuracy" in file.attrs
        assert file.attrs["version"] == "0.1.0" and file.attrs["height"] == 480
        assert list(file.attrs["video_paths"]) == ["/videos/a.avi", "/videos/b.avi"]
        assert list(file.attrs["identities_labels"]) == ["1", "2", "3"]


def test_csv_folder_has_idtrackerai_headers_and_number_formats(tmp_path):
    data = _tracked()
    write_trajectories(data, tmp_path, ["csv"])
    folder = tmp_path / "trajectories_csv"
    trajectories = (folder / "trajectories.csv").read_text().splitlines()
    assert trajectories[0] == "time,x1,y1,x2,y2,x3,y3"
    assert trajectories[1].startswith("0.000,") and trajectories[3].split(",")[5:7] == ["nan", "nan"]
    assert trajectories[2].split(",")[1] == f"{data['trajectories'][1, 0, 0]:.3f}"
    probabilities = (folder / "id_probabilities.csv").read_text().splitlines()
    assert probabilities[0] == "time,id_probabilities1,id_probabilities2,id_probabilities3"
    assert probabilities[1].split(",")[1] == f"{data['id_probabilities'][0, 0, 0]:.3e}"
    areas = (folder / "areas.csv").read_text().splitlines()
    assert areas[0] == "mean, median, standard_deviation" and len(areas) == 4
    assert areas[1] == ", ".join(f"{data['areas'][key][0]:.1f}" for key in ("mean", "median", "std"))
    assert list(json.loads((folder / "attributes.json").read_text())) == METADATA_KEYS


def test_csv_folder_names_a_single_animal_x1_y1_and_reads_idtrackerai_single_animal_header(tmp_path):
    data = _tracked(n_animals=1)
    write_trajectories(data, tmp_path, ["csv"])
    path = tmp_path / "trajectories_csv" / "trajectories.csv"
    assert path.read_text().splitlines()[0] == "time,x1,y1"
    path.write_text(path.read_text().replace("time,x1,y1", "time,trajectories1,trajectories2", 1))
    read = read_trajectories(tmp_path / "trajectories_csv")
    np.testing.assert_allclose(read["trajectories"], data["trajectories"], atol=5e-4)


def test_tidy_tables_keep_absent_animals_as_nan_rows_with_zero_probability(tmp_path):
    data = _tracked(n_frames=7, n_animals=3)
    write_trajectories(data, tmp_path, ["csv_tidy", "parquet"])
    lines = (tmp_path / "trajectories_tidy.csv").read_text().splitlines()
    assert lines[0] == "frame,time,individual,x,y,probability" and len(lines) == 1 + 7 * 3
    assert lines[1 + 2 * 3 + 2] == "2,0.071,2,nan,nan,0.000e+00"  # frame 2, individual 2 (0-based): absent
    table = pd.read_parquet(tmp_path / "trajectories.parquet")
    assert len(table) == 7 * 3 and table[["x", "y"]].isna().all(axis=1).sum() == 2


def test_parquet_has_int64_ids_float64_values_and_attributes_in_schema_metadata(tmp_path):
    data = _tracked()
    write_trajectories(data, tmp_path, ["parquet"])
    table = pq.read_table(tmp_path / "trajectories.parquet")
    assert table.column_names == ["frame", "time", "individual", "x", "y", "probability"]
    assert [str(field.type) for field in table.schema] == ["int64", "double", "int64", "double", "double", "double"]
    attributes = json.loads(table.schema.metadata[b"idtrackerai_attributes"])
    assert list(attributes) == [key for key in TRAJECTORY_KEYS if key not in ("trajectories", "id_probabilities")]
    assert attributes["areas"]["mean"] == data["areas"]["mean"].tolist()


# ---- reading back and converting --------------------------------------------------------------

@pytest.mark.parametrize("fmt", sorted(set(FORMATS) - TEXT_FORMATS))
def test_binary_formats_read_back_exactly_with_nan_and_none(tmp_path, fmt):
    data = _tracked()
    _assert_same(_write_read(data, tmp_path, fmt), data, exact=True)


@pytest.mark.parametrize("fmt", sorted(TEXT_FORMATS))
def test_text_formats_read_back_to_the_precision_they_print(tmp_path, fmt):
    data = _tracked()
    read = _write_read(data, tmp_path, fmt)
    _assert_same(read, data, exact=False, csv_areas=fmt == "csv")
    assert np.array_equal(np.isnan(read["trajectories"]), np.isnan(data["trajectories"]))
    assert np.array_equal(np.isnan(read["id_probabilities"]), np.isnan(data["id_probabilities"]))


@pytest.mark.parametrize("first, second", list(itertools.product(FORMATS, repeat=2)))
def test_conversion_through_any_pair_of_formats_is_lossless_to_printed_precision(tmp_path, first, second):
    data = _tracked()
    converted = _write_read(_write_read(data, tmp_path / "first", first), tmp_path / "second", second)
    _assert_same(converted, data, exact=not {first, second} & TEXT_FORMATS, csv_areas="csv" in (first, second))


def test_tidy_reader_fills_rows_left_out_for_absent_animals_with_nan(tmp_path):
    data = _tracked()
    write_trajectories(data, tmp_path, ["csv_tidy"])
    path = tmp_path / "trajectories_tidy.csv"
    path.write_text("\n".join(line for line in path.read_text().splitlines() if ",nan," not in line))
    read = read_trajectories(path)
    assert read["trajectories"].shape == data["trajectories"].shape
    assert np.array_equal(np.isnan(read["trajectories"]), np.isnan(data["trajectories"]))


def test_written_files_load_the_way_external_scripts_load_them(tmp_path):
    data = _tracked()
    write_trajectories(data, tmp_path, FORMATS)
    from_npy = np.load(tmp_path / "trajectories.npy", allow_pickle=True).item()["trajectories"]
    with h5py.File(tmp_path / "trajectories.h5") as file:
        from_h5 = file["trajectories"][()]
    with open(tmp_path / "trajectories.pickle", "rb") as file:
        from_pickle = pickle.load(file)["trajectories"]
    for loaded in (from_npy, from_h5, from_pickle):
        np.testing.assert_array_equal(loaded, data["trajectories"])
    tidy = pd.read_csv(tmp_path / "trajectories_tidy.csv")
    assert sorted(tidy["individual"].unique()) == [0, 1, 2] and tidy["frame"].max() == 6


# ---- finding ----------------------------------------------------------------------------------

def test_session_folder_is_searched_in_idtrackerai_name_then_suffix_order(tmp_path):
    folder = tmp_path / "session_test" / "trajectories"
    folder.mkdir(parents=True)
    for name in ("validated.npy", "trajectories.pickle", "trajectories.npy", "with_gaps.h5"):
        (folder / name).touch()  # finding looks at names only
    assert find_trajectories(tmp_path / "session_test") == folder / "trajectories.npy"
    (folder / "trajectories.npy").unlink()
    assert find_trajectories(folder) == folder / "trajectories.pickle"
    (folder / "trajectories.pickle").unlink()
    assert find_trajectories(folder) == folder / "validated.npy"


def test_a_csv_file_inside_a_csv_folder_stands_for_its_folder(tmp_path):
    write_trajectories(_tracked(), tmp_path, ["csv"])
    assert find_trajectories(tmp_path / "trajectories_csv" / "areas.csv") == tmp_path / "trajectories_csv"


def test_missing_path_is_a_one_line_user_error_naming_it_and_what_is_accepted(tmp_path):
    with pytest.raises(UserError) as error:
        read_trajectories(tmp_path / "nowhere")
    message = str(error.value)
    assert str(tmp_path / "nowhere") in message and "*_csv folder" in message and "\n" not in message


def test_folder_without_trajectories_is_a_user_error(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here")
    with pytest.raises(UserError, match="no trajectories found"):
        read_trajectories(tmp_path)


@pytest.mark.parametrize("name, content", [("trajectories.h5", b"not hdf5"), ("trajectories.pickle", b"\x80\x05K"),
                                           ("trajectories_tidy.csv", b"frame,time\n0,0.0\n")])
def test_damaged_file_is_a_one_line_user_error(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(UserError, match="not a readable trajectories file") as error:
        read_trajectories(tmp_path / name)
    assert "\n" not in str(error.value)


def test_npy_holding_a_plain_array_is_a_user_error(tmp_path):
    np.save(tmp_path / "trajectories.npy", np.zeros((3, 2, 2)))
    with pytest.raises(UserError, match="holds no trajectories dict"):
        read_trajectories(tmp_path / "trajectories.npy")


# ---- idtracker.ai's own files -----------------------------------------------------------------

@needs_reference
def test_reference_npy_reads_as_idtrackerai_wrote_it():
    data = read_trajectories(REFERENCE / "trajectories.npy")
    original = np.load(REFERENCE / "trajectories.npy", allow_pickle=True).item()
    assert list(data) == list(TRAJECTORY_KEYS) == list(original)
    _assert_same(data, original, exact=True)
    assert data["trajectories"].shape == (501, 8, 2) and np.isnan(data["trajectories"]).sum() == 20


@needs_reference
def test_reference_csv_folder_matches_reference_npy_to_three_decimals():
    from_csv = read_trajectories(REFERENCE / "trajectories_csv")
    _assert_same(from_csv, read_trajectories(REFERENCE / "trajectories.npy"), exact=False, csv_areas=True)


@needs_reference
def test_csv_export_of_reference_npy_is_byte_identical_to_idtrackerai_export(tmp_path):
    write_trajectories(read_trajectories(REFERENCE), tmp_path, ["csv"])
    for name in ("trajectories.csv", "id_probabilities.csv", "areas.csv", "attributes.json"):
        ours, theirs = tmp_path / "trajectories_csv" / name, REFERENCE / "trajectories_csv" / name
        assert ours.read_bytes() == theirs.read_bytes()
