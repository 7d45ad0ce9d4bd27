"""Regions of interest written as idtracker.ai writes them: signed polygons and ellipses.

A ``roi_list`` entry is one line of text, for example::

    + Polygon [[138.0, 50.1], [992.9, 62.1], [996.9, 878.9]]
    - Ellipse {'center': [400, 300], 'axes': [50, 30], 'angle': 15}

The sign says whether the shape adds to the region (``+``) or cuts it out (``-``); entries are applied
in order. Parsing is kept apart from rasterisation so that settings can be checked before any video
is opened.
"""

from __future__ import annotations

import json
import math
import re

import attrs
import numpy as np

#: The accepted spellings, quoted in every parse error so the user can fix the entry.
VALID_FORMS = ("'+ Polygon [[x, y], [x, y], [x, y], ...]', '- Polygon [...]', "
               "\"+ Ellipse {'center': [cx, cy], 'axes': [a, b], 'angle': degrees}\" or \"- Ellipse {...}\"")

_HEAD = re.compile(r"\s*([+-])\s*(polygon|ellipse)\b(.*)", re.IGNORECASE | re.DOTALL)
_ELLIPSE_KEYS = {"center", "axes", "angle"}


class RoiSyntaxError(ValueError):
    """A ``roi_list`` entry that does not follow one of :data:`VALID_FORMS`."""


@attrs.frozen
class PolygonRoi:
    """A polygon added to (sign +1) or cut out of (sign -1) the region of interest.

    Attributes:
        sign: +1 or -1.
        points: (n, 2) float64 vertices (x, y) in pixels, n >= 3.
    """

    sign: int
    points: np.ndarray = attrs.field(eq=attrs.cmp_using(eq=np.array_equal))


@attrs.frozen
class EllipseRoi:
    """An ellipse added to (sign +1) or cut out of (sign -1) the region of interest.

    Attributes:
        sign: +1 or -1.
        center: (x, y) in pixels.
        axes: half-lengths of the two axes in pixels (OpenCV's convention).
        angle: rotation in degrees.
    """

    sign: int
    center: tuple[float, float]
    axes: tuple[float, float]
    angle: float


Roi = PolygonRoi | EllipseRoi


def parse_roi_list(entries: list[str]) -> list[Roi]:
    """Parse every entry, naming the first bad one (1-based) and the valid forms."""
    rois = []
    for number, entry in enumerate(entries, start=1):
        try:
            rois.append(parse_roi(entry))
        except RoiSyntaxError as error:
            text = str(entry)
            shown = text if len(text) <= 80 else text[:77] + "..."
            raise RoiSyntaxError(f"roi_list entry {number} ({shown!r}): {error}; valid forms: {VALID_FORMS}") from None
    return rois


def parse_roi(text: str) -> Roi:
    """Parse one entry; the coordinates may use single or double quotes (idtracker.ai writes single)."""
    if not isinstance(text, str):
        raise RoiSyntaxError(f"expected a string, got {type(text).__name__}")
    head = _HEAD.fullmatch(text)
    if head is None:
        raise RoiSyntaxError("must start with '+' or '-' followed by Polygon or Ellipse")
    sign = 1 if head[1] == "+" else -1
    try:
        body = json.loads(head[3].replace("'", '"'))
    except json.JSONDecodeError:
        raise RoiSyntaxError(f"cannot read the {head[2].lower()} coordinates {head[3].strip()!r}") from None
    if head[2].lower() == "polygon":
        return PolygonRoi(sign, _polygon_points(body))
    return _ellipse(sign, body)


def _polygon_points(body: object) -> np.ndarray:
    """(n, 2) float64 vertices from a list of [x, y] pairs."""
    if not isinstance(body, list) or not all(_is_pair(p) for p in body):
        raise RoiSyntaxError("a polygon is a list of [x, y] number pairs")
    if len(body) < 3:
        raise RoiSyntaxError(f"a polygon needs at least 3 points, got {len(body)}")
    return np.asarray(body, dtype=np.float64)


def _ellipse(sign: int, body: object) -> EllipseRoi:
    """An ellipse from {'center': [cx, cy], 'axes': [a, b], 'angle': deg}, every key required."""
    if not isinstance(body, dict) or set(body) != _ELLIPSE_KEYS:
        raise RoiSyntaxError("an ellipse is a dict with exactly the keys 'center', 'axes' and 'angle'")
    if not (_is_pair(body["center"]) and _is_pair(body["axes"]) and _is_number(body["angle"])):
        raise RoiSyntaxError("an ellipse needs 'center' and 'axes' as [number, number] and 'angle' as a number")
    if min(body["axes"]) < 0:
        raise RoiSyntaxError(f"ellipse axes must be >= 0, got {body['axes']}")
    return EllipseRoi(sign, tuple(map(float, body["center"])), tuple(map(float, body["axes"])), float(body["angle"]))


def _is_pair(value: object) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
