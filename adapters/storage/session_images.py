"""A finished session's identification images with the identity each got, read as data only.

The images are ``identification_images/id_images_<episode>.h5`` (one dataset per episode, in
blob order), the identities ``preprocessing/blobs.npz`` (no pickles), the geometry ``session.json``
(bounded). DATA_POLICY ``idmatcher.ai`` (the default) or ``all`` keeps them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import h5py
import numpy as np
from idtracker.application.errors import UserError
from idtracker.application.identity_matching import IdentifiedImages

#: session.json is refused above this size, as idtracker.ai does.
MAX_SESSION_JSON_BYTES = 5_000_000


def read_session_json(folder: Path) -> dict:
    """A session's session.json as a dict; UserError when missing, oversized or not JSON."""
    path = folder / "session.json"
    if not path.is_file():
        raise UserError(f"{folder}: no session.json; give a session folder written by idtrackerai")
    if path.stat().st_size > MAX_SESSION_JSON_BYTES:
        raise UserError(f"{path} is larger than {MAX_SESSION_JSON_BYTES} bytes; not a session.json")
    try:
        info = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError):
        raise UserError(f"{path} is not valid JSON") from None
    if not isinstance(info, dict):
        raise UserError(f"{path} does not hold a session description")
    return info


def _episode(path: Path) -> int:
    return int(re.fullmatch(r"id_images_(\d+)\.h5", path.name).group(1))


def read_identified_images(folder: Path) -> IdentifiedImages:
    """Images and 1-based identities (0 = none) of every blob of the session in ``folder``."""
    info = read_session_json(folder)
    files = sorted((p for p in (folder / "identification_images").glob("id_images_*.h5")
                    if re.fullmatch(r"id_images_\d+\.h5", p.name)), key=_episode)
    blobs_file = folder / "preprocessing" / "blobs.npz"
    if not files or not blobs_file.is_file():
        raise UserError(f"{folder}: its identification images or blobs are gone (identification_images/, "
                        "preprocessing/blobs.npz); track it again with data_policy idmatcher.ai or all")
    try:
        images = []
        for path in files:
            with h5py.File(path, "r") as f:
                images.append(np.asarray(f["id_images"], np.uint8))
        with np.load(blobs_file, allow_pickle=False) as blobs:
            identity = np.asarray(blobs["identity"], np.int64)
            fragment = np.asarray(blobs["fragment"], np.int64)
            individual = np.asarray(blobs["is_individual"], bool)
    except (OSError, KeyError, ValueError) as error:
        raise UserError(f"{folder}: cannot read its identification images or blobs ({error})") from None
    images = np.concatenate(images)
    if not len(images) == len(identity) == len(fragment) == len(individual) or images.ndim != 3:
        raise UserError(f"{folder}: {len(images)} identification images for {len(identity)} blobs; the session "
                        "folder is incomplete")
    size = info.get("id_image_size")
    size = int(size[0] if isinstance(size, list) else size) if size else images.shape[1]
    return IdentifiedImages(folder, images, identity, fragment, individual, int(info.get("number_of_animals") or identity.max()), size,
                            str(info.get("version", "unknown")))
