"""Unpickling trajectories files without letting them name arbitrary callables.

idtracker.ai's ``.npy`` and ``.pickle`` trajectories are pickled dicts of numbers, strings, lists,
dicts, sets and numpy arrays. A pickle may also name any importable callable to run on loading,
which is how a booby-trapped file runs its payload; here only the few numpy reconstruction
functions those dicts need are admitted, and a file naming anything else is refused before
anything is called.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

#: The globals genuine trajectories files name (numpy 1 and numpy 2 spellings).
ALLOWED_GLOBALS = frozenset(
    [(module, name) for module in ("numpy.core.multiarray", "numpy._core.multiarray")
     for name in ("_reconstruct", "scalar")]
    + [(module, "_frombuffer") for module in ("numpy.core.numeric", "numpy._core.numeric")]
    + [("numpy", "ndarray"), ("numpy", "dtype"), ("builtins", "set"), ("builtins", "frozenset"),
       ("collections", "OrderedDict")])


class RefusedPickle(ValueError):
    """A pickle named a global outside ``ALLOWED_GLOBALS``."""


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise RefusedPickle(f"it asks to load {module}.{name}, which a trajectories file never holds "
                            "(refused, nothing was run)")


def load_pickle(file: BinaryIO) -> Any:
    """The object pickled in ``file``, refusing any global outside ``ALLOWED_GLOBALS``.

    Raises:
        RefusedPickle: the pickle names another callable or class.
    """
    return _RestrictedUnpickler(file).load()


def load_npy(path: Path) -> np.ndarray:
    """The array in a ``.npy`` file; object arrays are unpickled with ``load_pickle``."""
    with open(path, "rb") as file:
        version = np.lib.format.read_magic(file)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                       (2, 0): np.lib.format.read_array_header_2_0}.get(version)
        if read_header is None:
            raise ValueError(f"unsupported .npy format version {version}")
        _, _, dtype = read_header(file)
        if dtype.hasobject:
            return load_pickle(file)
    return np.load(path, allow_pickle=False)
