"""Session parameters from TOML files, and the one way a parameter dict becomes :class:`Settings`.

Every front end (TOML files, command line, a saved ``session.json``) produces a plain dict of
parameter name to value; :func:`structure_settings` is where names, types and values are checked, so
each mistake is reported once, in one line that names the parameter, the value and what is valid.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

import attrs
import cattrs
from cattrs.errors import ClassValidationError
from idtracker.application.errors import UserError
from idtracker.application.settings import BACKGROUND_STATS, REMOVED_PARAMETERS, Settings, parameter_names
from idtracker.application.settings_validation import check_settings

#: idtracker.ai's limit: a settings file is a few lines, a bigger file is a wrong path.
MAX_TOML_BYTES = 5_000_000

_PATH_PARAMETERS = ("video_paths", "output_dir", "knowledge_transfer_folder")
_LISTS_GIVEN_AS_ONE = ("video_paths", "roi_list", "trajectories_formats")
_TRUE = {"true", "t", "1", "yes"}
_FALSE = {"false", "f", "0", "no"}
_PAIR_TEXT = re.compile(r"\s*[\[(]?\s*([+-]?\d+)\s*,\s*([+-]?\d+)\s*[\])]?\s*")
_BRACKETED = re.compile(r"[\[(][^\[\]()]*[\])]")

_KINDS = {"int": ("an integer", "integers"), "float": ("a number", "numbers"), "bool": ("true or false", "booleans"),
          "str": ("a string", "strings"), "path": ("a path", "paths")}
_EXPECTED = {"tracking_intervals": "a list of [start, end] integer pairs, e.g. [[0, 100], [150, 200]]",
             "id_image_size": "an integer or [size, size, 1]"}


def load_toml(path: str | Path) -> dict[str, object]:
    """Parameters of one TOML file, ready to merge.

    Names are lower-cased (they are case-insensitive), ``''`` becomes ``None`` (idtracker.ai's way of
    writing "unset") and relative paths are taken from the working directory, or from the file's
    folder where only that holds them (``_anchored``).

    Raises:
        UserError: the file is missing, too big, not UTF-8, or not valid TOML (with the line).
    """
    path = Path(path).expanduser()
    text = _read_text(path)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UserError(_syntax_message(path, text, error)) from None
    params = {name: None if value == "" else value for name, value in _lower_keys(document, str(path)).items()}
    return _resolve_paths(params, path.resolve().parent)


def merge(dicts: Iterable[Mapping[str, object]]) -> dict[str, object]:
    """One dict of parameters where later dicts override earlier ones."""
    merged: dict[str, object] = {}
    for params in dicts:
        merged.update(params)
    return merged


def structure_settings(params: Mapping[str, object]) -> Settings:
    """Checked :class:`Settings` from a dict of parameters (names case-insensitive).

    Unset values (``None``, ``''``, ``[]``) take the parameter's default. Shorthands are accepted: a
    single string for a list of strings or paths, one ``[start, end]`` pair for tracking_intervals,
    ``[size, size, 1]`` for id_image_size.

    Raises:
        UserError: an unknown or removed parameter, a value of the wrong type, or an invalid value.
    """
    named = _lower_keys(params, "the settings")
    for name in named:
        _check_known(name)
    values = {name: _shape(name, value) for name, value in named.items() if not _is_unset(value)}
    try:
        settings = _CONVERTER.structure(values, Settings)
    except ClassValidationError as error:
        raise _type_error(error, values) from None
    check_settings(settings)
    return settings


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise UserError(f"settings file {path} does not exist")
    size = path.stat().st_size
    if size > MAX_TOML_BYTES:
        raise UserError(f"settings file {path} is {size} bytes; a TOML settings file must be under {MAX_TOML_BYTES} bytes")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(f"settings file {path} is not UTF-8 text; is it really a TOML file?") from None


def _syntax_message(path: Path, text: str, error: tomllib.TOMLDecodeError) -> str:
    """The parser's message (it carries line and column), with a hint for Windows paths."""
    message = f"{path}: invalid TOML: {error}"
    line = re.search(r"at line (\d+)", str(error))
    lines = text.splitlines()
    if line and int(line[1]) <= len(lines) and "\\" in lines[int(line[1]) - 1]:
        message += "; write paths with backslashes in 'single quotes'"
    return message


def _lower_keys(params: Mapping[str, object], source: str) -> dict[str, object]:
    lowered: dict[str, object] = {}
    for key, value in params.items():
        name = str(key).lower()
        if name in lowered:
            raise UserError(f"{name}: given twice in {source} (parameter names are case-insensitive)")
        lowered[name] = value
    return lowered


def _resolve_paths(params: dict[str, object], folder: Path) -> dict[str, object]:
    """Relative paths of path-valued parameters anchored at ``folder``."""
    resolved = dict(params)
    for name in _PATH_PARAMETERS:
        value = params.get(name)
        if isinstance(value, list):
            resolved[name] = [_anchored(item, folder) for item in value]
        elif value is not None:
            resolved[name] = _anchored(value, folder)
    stat = params.get("background_subtraction_stat")
    if stat not in BACKGROUND_STATS and stat is not None:
        resolved["background_subtraction_stat"] = _anchored(stat, folder)
    return resolved


def _anchored(value: object, folder: Path) -> object:
    """``value`` as a path: absolute paths stay; a relative one is taken from the working directory,
    as idtracker.ai does (settings files written for it keep working), unless only ``folder`` (the
    TOML's) holds it, so a settings file next to its videos also works from anywhere. Other types
    are left for the type check."""
    if not isinstance(value, str):
        return value
    path = Path(value).expanduser()
    if path.is_absolute():
        return str(path)
    here = Path.cwd() / path
    return str(folder / path) if not here.exists() and (folder / path).exists() else str(here)


def _is_unset(value: object) -> bool:
    return value is None or (isinstance(value, str | list | tuple) and len(value) == 0)


def _check_known(name: str) -> None:
    if name in REMOVED_PARAMETERS:
        raise UserError(f"{name}: this parameter was removed from idtracker.ai; {REMOVED_PARAMETERS[name]}")
    names = parameter_names()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"did you mean {close[0]}?" if close else "see idtrackerai -h for the valid ones"
        raise UserError(f"{name}: unknown parameter; {hint}")


def _shape(name: str, value: object) -> object:
    """Expand the shorthands idtracker.ai accepts into the shape of the field."""
    if name in _LISTS_GIVEN_AS_ONE and isinstance(value, str | os.PathLike):
        return [value]
    if name == "tracking_intervals":
        return _interval_list(value)
    if name == "id_image_size" and isinstance(value, list | tuple) and len(value) == 3 \
            and value[0] == value[1] and value[2] == 1:
        return value[0]
    return value


def _interval_list(value: object) -> object:
    """A list of pair-like items from one pair, one text, or texts holding several "[a, b]" pairs."""
    if isinstance(value, str) or _is_number_pair(value):
        value = [value]
    if not isinstance(value, list | tuple):
        return value
    return [piece for item in value for piece in _split_pairs(item)]


def _is_number_pair(value: object) -> bool:
    return isinstance(value, list | tuple) and len(value) == 2 \
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)


def _split_pairs(item: object) -> list[object]:
    """"[0,100] [150,200]" -> ["[0,100]", "[150,200]"]; anything else is kept whole."""
    if isinstance(item, str):
        pairs = _BRACKETED.findall(item)
        if len(pairs) > 1 and not _BRACKETED.sub("", item).strip(" ,"):
            return pairs
    return [item]


def _type_error(error: ClassValidationError, values: Mapping[str, object]) -> UserError:
    """cattrs' nested exception group as one line naming the parameter, its value and the expected type."""
    with_notes, _ = error.group_exceptions()
    name = with_notes[0][1].name
    shown = repr(values[name])
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return UserError(f"{name}: got {shown}, expected {_expected(attrs.fields_dict(Settings)[name])}")


def _expected(field: attrs.Attribute) -> str:
    """What a field accepts, in words, from its metadata."""
    if field.name in _EXPECTED:
        text = _EXPECTED[field.name]
    else:
        one, many = _KINDS[field.metadata["metavar"]]
        nargs = field.metadata["nargs"]
        text = one if nargs is None else f"a list of two {many}" if nargs == 2 else f"a list of {many}"
    return text + (" (or '' to leave it unset)" if field.default is None else "")


def _to_bool(value: object, _: type) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"{value!r} is not a boolean")


def _to_int(value: object, _: type) -> int:
    if isinstance(value, bool):
        raise TypeError("a boolean is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return int(value.strip())
    raise ValueError(f"{value!r} is not an integer")


def _to_float(value: object, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"{value!r} is not a number")
    number = float(value)
    if math.isnan(number):
        raise ValueError("nan is not a number")
    return number


def _to_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not a string")
    return value


def _to_path(value: object, _: type) -> Path:
    if not isinstance(value, str | os.PathLike):
        raise TypeError(f"{value!r} is not a path")
    return Path(value).expanduser()


def _to_interval(value: object, _: type) -> tuple[int, int]:
    """One [start, end] pair, from a pair of integers or from text such as "0,100" or "[0,100]"."""
    if isinstance(value, str):
        match = _PAIR_TEXT.fullmatch(value)
        if match is None:
            raise ValueError(f"{value!r} is not a pair of integers")
        return int(match[1]), int(match[2])
    if isinstance(value, list | tuple) and len(value) == 2:
        return _to_int(value[0], int), _to_int(value[1], int)
    raise ValueError(f"{value!r} is not a pair of integers")


def _converter() -> cattrs.Converter:
    """A converter as strict as a user deserves: no silent str(5), int(3.7) or bool('false')."""
    converter = cattrs.Converter()
    converter.register_structure_hook(bool, _to_bool)
    converter.register_structure_hook(int, _to_int)
    converter.register_structure_hook(float, _to_float)
    converter.register_structure_hook(str, _to_str)
    converter.register_structure_hook(Path, _to_path)
    converter.register_structure_hook_func(lambda cls: cls == tuple[int, int], _to_interval)
    return converter


_CONVERTER = _converter()
