"""``idtrackerai_inspect_clusters SESSION... [--images_per_id N]``: a t-SNE picture of each session's contrastive embedding.

Writes ``<session>/cluster_inspection/predicted_t-SNE.png`` (one colour per identity) and
``embeddings.csv`` (fragment, embedding, map position, identity of each image shown).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .app import check_session_folders, run_tool


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

    def inspect(container) -> None:
        check_session_folders(*args.sessions)
        for folder in args.sessions:
            picture = container.inspect_clusters()(folder, args.images_per_id)[0]
            print(f"{folder}: embedding pictured in {picture}")

    return run_tool("idtrackerai_inspect_clusters", inspect)[0]


if __name__ == "__main__":
    sys.exit(main())
