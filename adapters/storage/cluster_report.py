"""idtrackerai_inspect_clusters' files: ``predicted_t-SNE.png`` and ``embeddings.csv`` (as idtracker.ai names them)."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from idtracker.application.cluster_inspection import ClusterMap  # noqa: E402

from .atomic_file import atomic_target  # noqa: E402

#: Up to this many identities the picture has a legend; beyond, colours alone (one hue each).
MAX_LEGEND = 20


def _picture(cluster_map: ClusterMap) -> bytes:
    ids = np.unique(cluster_map.identity)
    colours = plt.get_cmap("hsv")(np.linspace(0, 1, len(ids), endpoint=False))
    figure, axes = plt.subplots(figsize=(7, 6), dpi=110)
    for colour, identity in zip(colours, ids):
        at = cluster_map.identity == identity
        axes.scatter(*cluster_map.position[at].T, s=4, color=colour, label=str(identity), alpha=0.7, linewidths=0)
    axes.set_title(f"contrastive embedding, t-SNE of {len(cluster_map.identity)} images, coloured by identity",
                   fontsize=9)
    axes.set_xticks([])
    axes.set_yticks([])
    if len(ids) <= MAX_LEGEND:
        axes.legend(title="identity", markerscale=3, fontsize=7, loc="center left", bbox_to_anchor=(1, 0.5))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def _table(cluster_map: ClusterMap) -> str:
    d = cluster_map.embedding.shape[1]
    lines = [",".join(["fragment", *(f"dim_{k}" for k in range(d)), "t-SNE_1", "t-SNE_2", "predicted_id"])]
    for fragment, z, xy, identity in zip(cluster_map.fragment, cluster_map.embedding, cluster_map.position,
                                         cluster_map.identity):
        lines.append(",".join([str(int(fragment)), *(f"{v:.5f}" for v in z), f"{xy[0]:.4f}", f"{xy[1]:.4f}",
                               str(int(identity))]))
    return "\n".join(lines) + "\n"


def _write(path: Path, payload: bytes) -> Path:
    with atomic_target(path) as tmp:
        tmp.write_bytes(payload)
    return path


def write_cluster_report(folder: Path, cluster_map: ClusterMap) -> list[Path]:
    """The picture and the table in ``folder``, atomically; the picture first."""
    return [_write(folder / "predicted_t-SNE.png", _picture(cluster_map)),
            _write(folder / "embeddings.csv", _table(cluster_map).encode())]
