"""Parameters written as an idtracker.ai settings file (``key = value`` lines) that ``--load`` reads back exactly."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path

from idtracker.adapters.storage.atomic_file import atomic_target


def toml_value(value: object) -> str:
    """One TOML value: None as '' (idtracker.ai's unset), inf as inf, strings JSON-quoted (valid TOML basic strings)."""
    if value is None:
        return "''"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, Path):
        return json.dumps(str(value))
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        items = [toml_value(v) for v in value]
        if len(items) > 3 or sum(map(len, items)) > 60:
            return "[\n" + "".join(f"    {item},\n" for item in items) + "]"
        return "[" + ", ".join(items) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as a settings value")


def settings_text(params: Mapping[str, object]) -> str:
    """The settings file's text, one ``key = value`` per parameter in the order given."""
    return "".join(f"{key} = {toml_value(value)}\n" for key, value in params.items())


def write_settings(path: Path, params: Mapping[str, object]) -> Path:
    """Write ``params`` to ``path`` atomically."""
    with atomic_target(path) as tmp:
        tmp.write_text(settings_text(params), encoding="utf-8")
    return path
