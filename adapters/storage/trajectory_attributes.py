"""JSON side files of the text trajectory formats (attributes.json, attributes_tidy.json)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np


def attributes_json(data: Mapping[str, Any], exclude: Iterable[str]) -> str:
    """The keys not stored as tables, as the indented JSON idtracker.ai writes (arrays as lists)."""
    skipped = set(exclude)
    attributes = {key: value for key, value in data.items() if key not in skipped}
    return json.dumps(attributes, indent=4, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
