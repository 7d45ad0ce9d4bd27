"""A previous session's identification model, loaded as data only (the TransferModel port).

Knowledge transfer and idmatcher.ai read models that travel between labs, so nothing in them may
run code: weights are read with ``torch.load(weights_only=True)`` (tensors and containers only),
``model_params.json`` and the cluster centres as bounded text. A folder holds either our final
contrastive model (``identifier_contrastive.model.pt`` + ``.cluster_centers.csv``, preferred, as
idtracker.ai prefers its contrastive identifier) or our identity CNN (``identifier_cnn.model.pt``).
"""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from idtracker.application.errors import ModelUnusable
from idtracker.domain.cluster_identities import centre_log_proba

from .torch_classifier import IdNet
from .torch_contrastive import EMBEDDING_DIM, EmbeddingNet, contrastive_input
from .torch_device import select_device

#: Largest model_params.json / cluster centres file read (both are a few hundred bytes).
MAX_TEXT_BYTES = 1_000_000
#: Largest weights file read (our networks are under 2 MB; idtracker.ai's ResNet-18 is 45 MB).
MAX_WEIGHTS_BYTES = 200_000_000
PREDICT_BATCH = 2048
CONTRASTIVE = "contrastive"
CNN = "cnn"


def model_folder(folder: Path) -> Path:
    """The folder holding the model: a session folder's ``accumulation/``, or the folder itself."""
    inner = folder / "accumulation"
    return inner if inner.is_dir() else folder


class TorchTransferModel:
    """A loaded model: what it was trained on, its weights (for warm starts) and identity scores."""

    def __init__(self, kind: str, source: Path, params: dict, state: dict, centres: np.ndarray | None,
                 device: str = ""):
        if kind == CNN:
            state = IdNet.with_input_defaults(state)  # warm starts load it as it is scored here
        self.kind, self.source, self.state, self.centres = kind, source, state, centres
        self.n_classes = int(params["n_classes"])
        self.image_size = int(params["image_size"][0])
        self.resolution_reduction = float(params["resolution_reduction"])
        self._columns = _class_columns(params, self.n_classes, source)
        self.device = select_device(device)
        if kind == CONTRASTIVE:
            self.model = EmbeddingNet(EMBEDDING_DIM)
        else:
            self.model = IdNet(self.image_size, self.n_classes)
        try:
            self.model.load_state_dict(state)
        except (RuntimeError, KeyError, TypeError) as error:
            raise ModelUnusable(f"{source} holds weights of another network ({params.get('model', 'unknown')}): "
                                f"{str(error).splitlines()[0]}") from None
        self.model.to(self.device).eval()

    @torch.inference_mode()
    def log_proba(self, images: np.ndarray) -> np.ndarray:
        """(n, N) log-probabilities of the previous session's identities for uint8 (n, S, S) images."""
        out = []
        for k in range(0, len(images), PREDICT_BATCH):
            x = torch.from_numpy(np.ascontiguousarray(images[k:k + PREDICT_BATCH])).to(self.device)
            x = x.unsqueeze(1).float().div_(255.0)
            if self.kind == CONTRASTIVE:
                z = self.model(contrastive_input(x)).double().cpu().numpy()
                out.append(centre_log_proba(z, self.centres))
            else:
                out.append(F.log_softmax(self.model(x), 1).double().cpu().numpy())
        scores = np.concatenate(out) if out else np.zeros((0, self.n_classes))
        ordered = np.empty_like(scores)
        ordered[:, self._columns] = scores  # column j: identity j + 1 of the session, after any renaming
        return ordered


def _class_columns(params: dict, n: int, source: Path) -> np.ndarray:
    """Column of each class's identity: ``class_identities`` (a session renamed by knowledge transfer
    keeps its model's classes and says which identity each became), else class k is identity k + 1."""
    given = params.get("class_identities")
    if given is None:
        return np.arange(n)
    try:
        columns = np.asarray(given, np.int64) - 1
    except (TypeError, ValueError):
        columns = np.zeros(0, np.int64)
    if sorted(columns.tolist()) != list(range(n)):
        raise ModelUnusable(f"{source.parent / 'model_params.json'}: class_identities must list identities 1-{n} once each")
    return columns


def load_transfer_model(folder: Path, device: str = "") -> TorchTransferModel:
    """The model in ``folder`` (a session or its accumulation folder).

    Raises:
        ModelUnusable: no model there, or one that cannot be read as data (the reason in one line).
    """
    inner = model_folder(folder)
    contrastive = inner / "identifier_contrastive.model.pt"
    centres_file = inner / "identifier_contrastive.cluster_centers.csv"
    cnn = inner / "identifier_cnn.model.pt"
    if contrastive.is_file() and centres_file.is_file():
        params = _params(inner / "model_params.json")
        centres = _centres(centres_file, int(params["n_classes"]))
        return TorchTransferModel(CONTRASTIVE, contrastive, params, _weights(contrastive), centres, device)
    if cnn.is_file():
        params = _params(inner / "model_params.json")
        return TorchTransferModel(CNN, cnn, params, _weights(cnn), None, device)
    raise ModelUnusable(f"{inner} holds no identification model (identifier_contrastive.model.pt or "
                        "identifier_cnn.model.pt)")


class TorchEmbedding:
    """A session's contrastive encoder alone (the SessionEmbedding port): images to their embedding."""

    def __init__(self, source: Path, state: dict, device: str = ""):
        self.source = source
        self.device = select_device(device)
        self.model = EmbeddingNet(EMBEDDING_DIM)
        try:
            self.model.load_state_dict(state)
        except (RuntimeError, KeyError, TypeError) as error:
            raise ModelUnusable(f"{source} holds weights of another network: {str(error).splitlines()[0]}") from None
        self.model.to(self.device).eval()

    @torch.inference_mode()
    def embed(self, images: np.ndarray) -> np.ndarray:
        """(n, D) float64 embeddings of uint8 (n, S, S) images."""
        out = [self.model(contrastive_input(torch.from_numpy(np.ascontiguousarray(images[k:k + PREDICT_BATCH]))
                                            .to(self.device).unsqueeze(1).float().div_(255.0))).double().cpu().numpy()
               for k in range(0, len(images), PREDICT_BATCH)]
        return np.concatenate(out) if out else np.zeros((0, EMBEDDING_DIM))


def load_embedding(folder: Path, device: str = "") -> TorchEmbedding:
    """The contrastive encoder of the session in ``folder``: its final one, else the checkpoint of a
    contrastive step that accumulation followed.

    Raises:
        ModelUnusable: the session has no contrastive encoder (disable_contrastive) or it cannot be read as data.
    """
    inner = model_folder(folder)
    for name in ("identifier_contrastive.model.pt", "contrastive_checkpoint.pt"):
        if (inner / name).is_file():
            return TorchEmbedding(inner / name, _weights(inner / name), device)
    raise ModelUnusable(f"{inner} holds no contrastive encoder (identifier_contrastive.model.pt or "
                        "contrastive_checkpoint.pt): the session was tracked with disable_contrastive")


def _params(path: Path) -> dict:
    """model_params.json as data: n_classes, image_size and resolution_reduction must be there."""
    if not path.is_file():
        raise ModelUnusable(f"{path.parent} has no model_params.json, so what its model was trained on is unknown")
    if path.stat().st_size > MAX_TEXT_BYTES:
        raise ModelUnusable(f"{path} is larger than {MAX_TEXT_BYTES} bytes; it is not a model_params.json")
    try:
        params = json.loads(path.read_text())
        n, size, reduction = int(params["n_classes"]), int(params["image_size"][0]), float(params["resolution_reduction"])
    except (ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError):
        raise ModelUnusable(f"{path} is not a model description (n_classes, image_size, resolution_reduction)") from None
    if n < 1 or size < 1 or not 0 < reduction <= 1:
        raise ModelUnusable(f"{path}: n_classes {n}, image_size {size}, resolution_reduction {reduction} are not valid")
    return params


def _weights(path: Path) -> dict:
    """A state dict read with weights_only=True: a file that needs anything else is refused."""
    if path.stat().st_size > MAX_WEIGHTS_BYTES:
        raise ModelUnusable(f"{path} is larger than {MAX_WEIGHTS_BYTES // 10**6} MB; not one of our models")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        refused = re.search(r"Unsupported global: GLOBAL (\S+)", str(error))
        if refused:
            raise ModelUnusable(f"{path} needs more than weights to load: it names {refused.group(1)}, which "
                                "is refused (a model file from elsewhere must not run code)") from None
        raise ModelUnusable(f"{path} is not a readable model file") from None
    except (RuntimeError, EOFError, OSError, ValueError) as error:
        raise ModelUnusable(f"{path} is not a readable model file ({str(error).splitlines()[0][:160]})") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelUnusable(f"{path} does not hold a table of weights")
    return state


def _centres(path: Path, n: int) -> np.ndarray:
    """(n, EMBEDDING_DIM) cluster centres from their CSV."""
    if path.stat().st_size > MAX_TEXT_BYTES:
        raise ModelUnusable(f"{path} is larger than {MAX_TEXT_BYTES} bytes; it is not a cluster centres file")
    try:
        centres = np.loadtxt(path, delimiter=",", ndmin=2)
    except ValueError:
        raise ModelUnusable(f"{path} is not a table of numbers") from None
    if centres.shape != (n, EMBEDDING_DIM) or not np.isfinite(centres).all():
        raise ModelUnusable(f"{path} holds {centres.shape} centres; {n} x {EMBEDDING_DIM} finite numbers expected")
    return centres
