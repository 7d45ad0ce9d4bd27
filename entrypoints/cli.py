"""``idtrackerai``: track videos from the terminal with parameters from TOML files and options.

The options, their help groups, defaults and choices are generated from the :class:`Settings` field
metadata, so the command line cannot drift from the parameters the pipeline reads. Values are passed
on as text and typed by the same structuring as TOML files, so a mistake reads the same from both.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from pathlib import Path

import attrs
from idtracker.application.errors import UserError
from idtracker.application.session_setup import package_version
from idtracker.application.settings import (
    ADVANCED,
    BACKGROUND,
    CHECKS,
    CONTRASTIVE,
    GENERAL,
    OUTPUT,
    PARALLEL,
    REMOVED_PARAMETERS,
    TRANSFER,
    Settings,
)

DEPRECATED = "Deprecated"
#: Help groups in the order ``idtrackerai -h`` shows them.
GROUPS = (GENERAL, OUTPUT, BACKGROUND, PARALLEL, TRANSFER, CHECKS, CONTRASTIVE, ADVANCED)
#: Read first (lowest priority) when present in the working directory, as idtracker.ai does.
LOCAL_SETTINGS = Path("local_settings.toml")
NO_DISPLAY = ("no display to open the segmentation app on (no DISPLAY or WAYLAND_DISPLAY, e.g. over SSH); "
              "add --track to track from the terminal")
NO_QT = ("the segmentation app needs Qt: pip install 'idtracker[gui]' (PySide6, pyqtgraph, superqt, qtpy), "
         "or add --track to track from the terminal")
USAGE = "idtrackerai [-h] [--version] [--load <path> ...] [--track] [--overwrite] [--PARAMETER VALUE ...]"


class _ParserExit(Exception):
    """-h or --version finished; carries the exit status instead of leaving the process."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse reporting mistakes as :class:`UserError` (one line) instead of a usage dump and exit."""

    def error(self, message: str) -> None:
        raise UserError(message.removeprefix("argument "))

    def exit(self, status: int = 0, message: str | None = None) -> None:
        if message:
            print(message, file=sys.stderr, end="")
        raise _ParserExit(status)


def main(argv: list[str] | None = None) -> int:
    """Run ``idtrackerai``; returns the exit status (0 done, 2 user error, others from tracking)."""
    try:
        settings, track, overwrite = build_settings(argv)
        if not track:
            settings = _segmentation_app(settings)
            if settings is None:
                return 0  # the window was closed without tracking
    except _ParserExit as done:
        return done.status
    except UserError as error:
        print(f"idtrackerai: error: {error}", file=sys.stderr)
        if str(error) not in (NO_DISPLAY, NO_QT):
            from idtracker.entrypoints.app import log_user_error
            log_user_error(str(error))
        return 2
    from idtracker.entrypoints.app import track as track_session  # the pipeline: slow to import, not needed for -h
    return track_session(settings, overwrite=overwrite)


def _segmentation_app(settings: Settings) -> Settings | None:
    """Open the segmentation app on these settings; what to track when the user asks to, else None.

    Raises:
        UserError: no display to show it on, or Qt is not installed.
    """
    from idtracker.entrypoints.app import has_display

    if not has_display():
        raise UserError(NO_DISPLAY)
    try:
        from idtracker.entrypoints.segmentation_app import run_app
    except ImportError:
        raise UserError(NO_QT) from None
    from idtracker.application.settings import dump_settings
    return run_app(dump_settings(settings))


def build_settings(argv: Sequence[str] | None = None) -> tuple[Settings, bool, bool]:
    """Checked settings from ``./local_settings.toml``, then each ``--load`` file, then the options given.

    Returns:
        The settings, whether ``--track`` was given and whether ``--overwrite`` was.

    Raises:
        UserError: any mistake in the options, the files or the values.
    """
    options = _parse(sys.argv[1:] if argv is None else argv)
    # Imported after parsing so that -h and --version skip numpy and cattrs.
    from idtracker.adapters.config.toml_settings import load_toml, merge, structure_settings
    track = options.pop("track", False)
    overwrite = options.pop("overwrite", False)
    files = ([LOCAL_SETTINGS] if LOCAL_SETTINGS.is_file() else []) + [Path(p) for p in options.pop("load", [])]
    given = {name: _none_if_blank(value) for name, value in options.items()}
    return structure_settings(merge([*(load_toml(file) for file in files), given])), track, overwrite


def build_parser() -> argparse.ArgumentParser:
    """The parser with one option per :class:`Settings` field, grouped as idtracker.ai's ``-h``."""
    parser = _Parser(prog="idtrackerai", usage=USAGE, allow_abbrev=False, argument_default=argparse.SUPPRESS,
                     description="Track unmarked animals in videos keeping their identities. "
                                 "Parameter names are case-insensitive.")
    parser.add_argument("--version", action="version", version=f"idtrackerai {package_version()}")
    groups = {title: parser.add_argument_group(title) for title in GROUPS}
    groups[GENERAL].add_argument(
        "--load", nargs="+", action="extend", metavar="<path>",
        help="A list of .toml files to load session parameters in increasing priority order. "
             "Later files override earlier ones for the same parameter.")
    groups[GENERAL].add_argument(
        "--track", action="store_true",
        help="Start tracking directly from the terminal, bypassing the graphical user interface (GUI).")
    groups[GENERAL].add_argument(
        "--overwrite", action="store_true",
        help="Track again from the start. Without it, an interrupted session resumes from its checkpoints "
             "and a finished one with the same parameters is reported done.")
    for field in attrs.fields(Settings):
        groups[field.metadata["group"]].add_argument(
            f"--{field.name}", metavar=f"<{field.metadata['metavar']}>", nargs=field.metadata["nargs"],
            help=_help(field).replace("%", "%%"))
    deprecated = parser.add_argument_group(DEPRECATED)
    for name, replacement in REMOVED_PARAMETERS.items():
        deprecated.add_argument(f"--{name}", metavar="<str>",
                                help=f"The parameter '{name}' has been removed ({replacement}).")
    return parser


def _parse(argv: Sequence[str]) -> dict[str, object]:
    """The options actually given, by parameter name, values still as text."""
    parser = build_parser()
    namespace, extras = parser.parse_known_args([_lower_option_name(arg) for arg in argv])
    if extras:
        raise UserError(_unexpected(extras[0]))
    return vars(namespace)


def _lower_option_name(arg: str) -> str:
    """``--Number_Of_Animals=8`` -> ``--number_of_animals=8``: names are case-insensitive, values are not."""
    if not arg.startswith("--"):
        return arg
    name, equals, value = arg.partition("=")
    return name.lower() + equals + value


def _unexpected(arg: str) -> str:
    if not arg.startswith("-"):
        return f"unexpected argument {arg!r}; values go after their option, e.g. --video_paths {arg}"
    option = arg.partition("=")[0]
    close = difflib.get_close_matches(option, _option_names(), n=1)
    hint = f"did you mean {close[0]}?" if close else "see idtrackerai -h for the valid ones"
    return f"unknown option {option}; {hint}"


def _option_names() -> list[str]:
    names = ["help", "version", "load", "track", *(f.name for f in attrs.fields(Settings)), *REMOVED_PARAMETERS]
    return [f"--{name}" for name in names]


def _help(field: attrs.Attribute) -> str:
    """The field's help with its choices and default, as idtracker.ai prints them."""
    text = field.metadata["help"]
    if field.metadata["choices"]:
        text += f" (choices: {', '.join(field.metadata['choices'])})"
    default = field.default.factory() if isinstance(field.default, attrs.Factory) else field.default
    return f"{text} (default: {default})"


def _none_if_blank(value: object) -> object:
    """``--output_dir ''`` unsets a parameter a loaded file set, as ``''`` does in TOML."""
    return None if value == "" or value == [""] else value


if __name__ == "__main__":
    sys.exit(main())
