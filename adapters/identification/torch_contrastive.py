"""A small residual encoder trained by contrastive pairs, in PyTorch (the ContrastiveEncoder port).

Images of one fragment are one animal (positive pairs, pulled within distance 1 in the embedding);
images of two coexisting fragments are two animals (negative pairs, pushed beyond 10). The network
is a three-stage ResNet with 16-32-64 channels on images shrunk to at most ``INPUT_SIZE`` pixels:
identification images hold little detail above that, and a CPU step costs about 1/100 of a
ResNet-18 one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .torch_device import select_device

EMBEDDING_DIM = 8
INPUT_SIZE = 24
POSITIVE_MARGIN = 1.0
NEGATIVE_MARGIN = 10.0
#: Pairs per batch on a CPU: many small Adam steps converge in less wall time than few large ones.
CPU_MAX_PAIRS = 64
EMBED_BATCH = 1024
#: Memory of the per-pair hardness (exponential average of its loss).
HARDNESS_DECAY = 0.9
ANCHOR_WEIGHT = 1.0


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and an identity (or 1x1 projected) shortcut."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
            nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out),
        )
        self.shortcut = nn.Identity() if stride == 1 and c_in == c_out else nn.Sequential(
            nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + self.shortcut(x))


class EmbeddingNet(nn.Module):
    """stem 3x3 (16) + pool -> residual stages 16, 32/2, 64/2 -> global average -> linear to the embedding."""

    def __init__(self, embedding_dim: int = EMBEDDING_DIM):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            ResidualBlock(16, 16, 1), ResidualBlock(16, 32, 2), ResidualBlock(32, 64, 2),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.head = nn.Linear(64, embedding_dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def available_mbytes() -> float:
    """Physical memory currently available, in MB (0 where the system does not say)."""
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (ValueError, OSError, AttributeError):
        return 0.0


def contrastive_input(x: torch.Tensor) -> torch.Tensor:
    """(n, 1, s, s) images in [0, 1] as the encoder sees them: shrunk to at most INPUT_SIZE pixels."""
    if x.shape[-1] > INPUT_SIZE:
        x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="area")
    return x


class TorchContrastiveEncoder:
    """Implements the ContrastiveEncoder port.

    Args:
        batch_pairs: positive pairs per batch (as many negative ones); capped at ``CPU_MAX_PAIRS`` on a CPU.
        max_mbytes: images are preloaded as one uint8 tensor when they fit, else gathered per batch
            from the caller's array (which may be a memmap); None = a quarter of the available RAM.
    """

    def __init__(self, batch_pairs: int, device: str = "", max_mbytes: float | None = None, seed: int = 0,
                 compile: bool = False):
        torch.manual_seed(seed)
        self.device = select_device(device)
        self.batch_pairs = batch_pairs if self.device.type != "cpu" else min(batch_pairs, CPU_MAX_PAIRS)
        self.device_name = str(self.device)
        self.max_mbytes = available_mbytes() / 4 if max_mbytes is None else max_mbytes
        self.model = EmbeddingNet().to(self.device)
        self._forward = torch.compile(self.model) if compile else self.model
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.rng = np.random.default_rng(seed)

    def warm_start(self, model) -> bool:
        """Start from a previous session's contrastive weights (knowledge transfer); False when
        ``model`` (a TransferModel) holds another network, which leaves the random start."""
        if getattr(model, "kind", None) != "contrastive":
            return False
        self.model.load_state_dict(model.state)
        return True

    def start(self, images: np.ndarray, image_fragment: np.ndarray, positive: np.ndarray, negative: np.ndarray,
              anchors: np.ndarray) -> None:
        """Set the training data.

        Args:
            images: uint8 (n, S, S) identification images.
            image_fragment: (n,) fragment of each image.
            positive: (P,) fragments whose image pairs are positives.
            negative: (K, 2) coexisting fragment pairs.
            anchors: (N,) fragments known to be N different animals (label = position), or empty.
        """
        self.anchors = anchors
        self.centres = nn.Parameter(torch.randn(len(anchors), EMBEDDING_DIM, device=self.device) * NEGATIVE_MARGIN / 2)
        if len(anchors):
            self.optimizer.add_param_group({"params": [self.centres]})
        self.preloaded = images.nbytes / 2**20 <= self.max_mbytes
        self.images = self._tensor(images) if self.preloaded else images
        order = np.argsort(image_fragment, kind="stable")
        counts = np.bincount(image_fragment, minlength=int(max(positive.max(), negative.max()) + 1))
        self.offsets = np.concatenate([[0], np.cumsum(counts)])
        self.members = order
        self.positive, self.negative = positive, negative
        self.positive_size = counts[positive].astype(float)
        self.negative_size = (counts[negative[:, 0]] + counts[negative[:, 1]]).astype(float)
        self.positive_hardness = np.ones(len(positive))
        self.negative_hardness = np.ones(len(negative))

    def _tensor(self, images: np.ndarray) -> torch.Tensor:
        """(n, 1, s, s) float in [0, 1], shrunk to at most INPUT_SIZE pixels."""
        x = torch.from_numpy(np.ascontiguousarray(images)).to(self.device).unsqueeze(1).float().div_(255.0)
        return contrastive_input(x)

    def _draw(self, size: np.ndarray, hardness: np.ndarray, n: int) -> np.ndarray:
        """Pair indices, favouring large pairs (more images to learn from) and hard ones (high recent loss)."""
        weight = size / size.sum() + hardness / hardness.sum()
        return self.rng.choice(len(size), n, p=weight / weight.sum())

    def _images_of(self, fragments: np.ndarray) -> np.ndarray:
        """One uniformly random image index per fragment."""
        lo, hi = self.offsets[fragments], self.offsets[fragments + 1]
        return self.members[lo + (self.rng.random(len(fragments)) * (hi - lo)).astype(np.int64)]

    def _batch(self, index: np.ndarray) -> torch.Tensor:
        if self.preloaded:
            return self.images[torch.from_numpy(index).to(self.device)]
        order = np.argsort(index)
        x = self._tensor(self.images[index[order]])
        return x[torch.from_numpy(np.argsort(order)).to(self.device)]

    def train(self, batches: int) -> float:
        """Run that many Adam steps; returns the mean loss."""
        self.model.train()
        total = 0.0
        b = self.batch_pairs
        for _ in range(batches):
            pos = self._draw(self.positive_size, self.positive_hardness, b)
            neg = self._draw(self.negative_size, self.negative_hardness, b)
            labels = self.rng.integers(len(self.anchors), size=b // 2) if len(self.anchors) else np.zeros(0, np.int64)
            frags = np.concatenate([self.positive[pos], self.positive[pos], self.negative[neg, 0], self.negative[neg, 1],
                                    self.anchors[labels]])
            z = self._forward(self._batch(self._images_of(frags)))
            d = (z[:b] - z[b:2 * b]).norm(dim=1), (z[2 * b:3 * b] - z[3 * b:4 * b]).norm(dim=1)
            pair_loss = torch.cat([F.relu(d[0] - POSITIVE_MARGIN) ** 2, F.relu(NEGATIVE_MARGIN - d[1]) ** 2])
            loss = pair_loss.mean()
            if len(labels):
                loss = loss + ANCHOR_WEIGHT * self._anchor_loss(z[4 * b:], torch.from_numpy(labels).to(self.device))
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            losses = pair_loss.detach().cpu().numpy()
            self._harden(self.positive_hardness, pos, losses[:b])
            self._harden(self.negative_hardness, neg, losses[b:])
            total += float(loss.detach())
        return total / max(batches, 1)

    def _anchor_loss(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of the anchor images over learnt class centres, logits = minus squared distance."""
        return F.cross_entropy(-torch.cdist(z, self.centres) ** 2, labels)

    @staticmethod
    def _harden(hardness: np.ndarray, drawn: np.ndarray, losses: np.ndarray) -> None:
        """Move each drawn pair's hardness towards its latest loss."""
        mean = np.bincount(drawn, losses, len(hardness)) / np.maximum(np.bincount(drawn, minlength=len(hardness)), 1)
        seen = np.unique(drawn)
        hardness[seen] = HARDNESS_DECAY * hardness[seen] + (1 - HARDNESS_DECAY) * mean[seen] + 1e-6

    @torch.inference_mode()
    def embed(self, index: np.ndarray) -> np.ndarray:
        """(len(index), D) float64 embeddings of the training images at ``index``."""
        self.model.eval()
        out = [self._forward(self._batch(index[k:k + EMBED_BATCH])).cpu() for k in range(0, len(index), EMBED_BATCH)]
        return torch.cat(out).double().numpy() if out else np.zeros((0, EMBEDDING_DIM))

    def finish(self) -> None:
        """Drop the images and pairs ``start`` set; ``save`` and ``save_checkpoint`` still work."""
        self.images = self.members = self.offsets = None

    def snapshot(self) -> dict:
        """A copy of the weights, to come back to the best ones."""
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def restore(self, snapshot: dict) -> None:
        self.model.load_state_dict(snapshot)

    def save_checkpoint(self, folder: Path) -> Path:
        """``contrastive_checkpoint.pt`` (weights only, atomically): the encoder of a contrastive step
        that was not final, kept for idtrackerai_inspect_clusters."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "contrastive_checkpoint.pt"
        torch.save(self.model.state_dict(), folder / ".contrastive_checkpoint.pt.tmp")
        os.replace(folder / ".contrastive_checkpoint.pt.tmp", path)
        return path

    def save(self, folder: Path, centres: np.ndarray, params: dict) -> Path:
        """``identifier_contrastive.model.pt``, ``.cluster_centers.csv`` and ``model_params.json``, atomically."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "identifier_contrastive.model.pt"
        torch.save(self.model.state_dict(), folder / ".identifier_contrastive.model.pt.tmp")
        os.replace(folder / ".identifier_contrastive.model.pt.tmp", path)
        np.savetxt(folder / ".cluster_centers.csv.tmp", centres, fmt="%11.5f", delimiter=",")
        os.replace(folder / ".cluster_centers.csv.tmp", folder / "identifier_contrastive.cluster_centers.csv")
        meta = {**params, "model": "ResidualEmbeddingNet", "embedding_dim": EMBEDDING_DIM, "input_size": INPUT_SIZE}
        (folder / ".model_params.json.tmp").write_text(json.dumps(meta, indent=2))
        os.replace(folder / ".model_params.json.tmp", folder / "model_params.json")
        return path
