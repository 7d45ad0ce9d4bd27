"""``idtrackerai_inspect_clusters SESSION... [--images_per_id N]``: a t-SNE picture of each session's contrastive embedding.

Writes ``<session>/cluster_inspection/predicted_t-SNE.png`` (one colour per identity) and
``embeddings.csv`` (fragment, embedding, map position, identity of each image shown).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from idtracker.application import events as ev
from idtracker.application.errors import UserError

from .app import LOG_PATH, rotate_log
from .container import local_container


def _images_per_id(text: str) -> int:
    if text.lower() == "inf":
        return sys.maxsize
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number or inf") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="idtrackerai_inspect_clusters",
                                     description="Picture a session's contrastive embedding in 2-D (t-SNE), "
                                                 "coloured by identity.")
    parser.add_argument("sessions", type=Path, nargs="+", metavar="SESSION", help="session folder(s)")
    parser.add_argument("--images_per_id", type=_images_per_id, default=500,
                        help="images drawn per identity, or inf for all (default: 500)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    rotate_log(LOG_PATH)
    container = local_container(LOG_PATH, console=False)
    events = container.events()
    try:
        for folder in args.sessions:
            if not folder.is_dir():
                raise UserError(f"{folder} is not a folder; give session folders (session_<name>)")
            picture = container.inspect_clusters()(folder, args.images_per_id)[0]
            print(f"{folder}: embedding pictured in {picture}")
    except UserError as error:
        events.publish(ev.SessionFailed(str(error)))
        print(f"idtrackerai_inspect_clusters: error: {error}", file=sys.stderr)
        return 2
    finally:
        events.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
