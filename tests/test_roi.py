"""ROI strings as idtracker.ai writes them parse into shapes, and rasterise into the segmentation mask."""

import numpy as np
import pytest
from idtracker.adapters.segmentation.roi_mask import roi_mask
from idtracker.application.errors import UserError
from idtracker.application.settings_validation import parse_rois
from idtracker.domain.roi import EllipseRoi, PolygonRoi, RoiSyntaxError, parse_roi, parse_roi_list

SQUARE = "+ Polygon [[10.0, 10.0], [30.0, 10.0], [30.0, 30.0], [10.0, 30.0]]"


def test_plus_polygon_parses_into_positive_polygon_with_float_vertices():
    roi = parse_roi("+ Polygon [[138.0, 50.1], [992.9, 62.1], [996.9, 878.9]]")
    assert roi == PolygonRoi(1, np.array([[138.0, 50.1], [992.9, 62.1], [996.9, 878.9]]))
    assert roi.points.dtype == np.float64


def test_minus_polygon_parses_into_negative_polygon():
    assert parse_roi("- Polygon [[0, 0], [5, 0], [5, 5]]").sign == -1


def test_ellipse_written_with_single_quotes_parses():
    roi = parse_roi("+ Ellipse {'center': [400, 300], 'axes': [50.5, 30], 'angle': 15}")
    assert roi == EllipseRoi(1, (400.0, 300.0), (50.5, 30.0), 15.0)


def test_ellipse_written_with_double_quotes_parses():
    assert parse_roi('- Ellipse {"center": [4, 3], "axes": [2, 1], "angle": 0}').sign == -1


def test_shape_name_is_case_insensitive_and_spacing_is_free():
    assert isinstance(parse_roi("  +polygon [[0, 0], [5, 0], [5, 5]]"), PolygonRoi)


@pytest.mark.parametrize(("entry", "reason"), [
    ("+ Polygon [[1, 2], [3, 4]]", "at least 3 points"),
    ("Polygon [[1, 2], [3, 4], [5, 6]]", "must start with '+' or '-'"),
    ("+ Square [[1, 2], [3, 4], [5, 6]]", "must start with '+' or '-'"),
    ("+ Polygon [[1, 2], [3, 4], [5, 6]", "cannot read the polygon coordinates"),
    ("+ Polygon [[1, 2], [3, 4], [5, 'a']]", "list of [x, y] number pairs"),
    ("+ Ellipse {'center': [1, 2], 'axes': [3, 4]}", "exactly the keys"),
    ("+ Ellipse {'center': [1, 2], 'axes': [-3, 4], 'angle': 0}", "axes must be >= 0"),
    ("+ Ellipse {'center': [1], 'axes': [3, 4], 'angle': 0}", "'center' and 'axes' as [number, number]"),
])
def test_malformed_entry_is_rejected_with_reason_entry_number_and_valid_forms(entry, reason):
    with pytest.raises(RoiSyntaxError) as raised:
        parse_roi_list([SQUARE, entry])
    message = str(raised.value)
    assert "roi_list entry 2" in message and reason in message
    assert "+ Polygon [[x, y]" in message and "Ellipse" in message
    assert "\n" not in message


def test_application_reports_malformed_roi_as_user_error():
    with pytest.raises(UserError, match="roi_list entry 1"):
        parse_rois(["+ Polygon []"])


def test_no_roi_means_no_mask():
    assert roi_mask(None, 40, 30) is None
    assert roi_mask([], 40, 30) is None


def test_mask_is_uint8_height_by_width_with_polygon_filled():
    mask = roi_mask([SQUARE], width=40, height=35)
    assert mask.shape == (35, 40) and mask.dtype == np.uint8
    assert mask[20, 20] == 255 and mask[5, 5] == 0 and mask[20, 35] == 0
    assert set(np.unique(mask)) == {0, 255}
    assert (mask > 0).sum() == 21 * 21


def test_minus_shape_cuts_a_hole_in_an_earlier_plus_shape():
    hole = "- Polygon [[15, 15], [25, 15], [25, 25], [15, 25]]"
    mask = roi_mask([SQUARE, hole], 40, 40)
    assert mask[20, 20] == 0 and mask[12, 12] == 255


def test_shapes_apply_in_order_so_a_later_plus_refills():
    hole = "- Polygon [[15, 15], [25, 15], [25, 25], [15, 25]]"
    assert roi_mask([hole, SQUARE], 40, 40)[20, 20] == 255


def test_ellipse_is_rasterised_with_its_area_and_rotation():
    mask = roi_mask(["+ Ellipse {'center': [50, 40], 'axes': [30, 10], 'angle': 90}"], 100, 80)
    filled_area = np.pi * 30.5 * 10.5  # filling includes the boundary pixels: half a pixel more per axis
    assert abs((mask > 0).sum() - filled_area) < 0.02 * filled_area
    assert mask[40 + 25, 50] == 255 and mask[40, 50 + 25] == 0  # rotated: long axis vertical


def test_mask_with_malformed_entry_raises_user_error():
    with pytest.raises(UserError, match="roi_list entry 1"):
        roi_mask(["+ Polygon [[1, 2]]"], 10, 10)
