"""idmatcher.ai's result files: the count tables as CSV and heatmaps, and ``assignments.csv``.

Layout as idtracker.ai's: ``csv/{direct,indirect,joined}_matches.csv``, ``png/`` heatmaps of the
same names with the assignment marked, and ``assignments.csv`` (identity, assignment, direct
score, indirect score; identities 1-based). Every file is written atomically.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from idtracker.domain.session_matching import SessionMatch  # noqa: E402

from .atomic_file import atomic_target  # noqa: E402


def _table_csv(table: np.ndarray) -> str:
    header = "identity," + ",".join(str(j + 1) for j in range(table.shape[1]))
    rows = [f"{i + 1}," + ",".join(str(int(v)) for v in row) for i, row in enumerate(table)]
    return "\n".join([header, *rows]) + "\n"


def _assignments_csv(match: SessionMatch) -> str:
    lines = ["identity,assignment,direct score,indirect score"]
    for i, (a, d, s) in enumerate(zip(match.assignment, match.direct_score, match.indirect_score)):
        lines.append(f"{i + 1},{a + 1 if a >= 0 else ''},{'' if np.isnan(d) else f'{d:.4f}'},"
                     f"{'' if np.isnan(s) else f'{s:.4f}'}")
    return "\n".join(lines) + "\n"


def _heatmap(table: np.ndarray, match: SessionMatch, title: str) -> bytes:
    """PNG of a count table, rows normalised, the assigned cells circled."""
    share = table / np.maximum(table.sum(1, keepdims=True), 1)
    n_rows, n_cols = table.shape
    figure, axes = plt.subplots(figsize=(2 + 0.35 * n_cols, 1.5 + 0.35 * n_rows), dpi=100)
    image = axes.imshow(share, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    rows = np.flatnonzero(match.assignment >= 0)
    axes.scatter(match.assignment[rows], rows, s=60, facecolors="none", edgecolors="red", linewidths=1.5)
    step = max(1, n_cols // 20)
    axes.set_xticks(range(0, n_cols, step), [str(j + 1) for j in range(0, n_cols, step)])
    step = max(1, n_rows // 20)
    axes.set_yticks(range(0, n_rows, step), [str(i + 1) for i in range(0, n_rows, step)])
    axes.set_xlabel("master identity")
    axes.set_ylabel("identity in this session")
    axes.set_title(f"{title} (agreement {match.agreement:.1%})", fontsize=9)
    figure.colorbar(image, ax=axes, label="share of the identity's images")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def _write(path: Path, payload: bytes) -> Path:
    with atomic_target(path) as tmp:
        tmp.write_bytes(payload)
    return path


def write_matching_report(folder: Path, match: SessionMatch) -> list[Path]:
    """Write the result files into ``folder``; ``assignments.csv`` first in the returned list."""
    written = [_write(folder / "assignments.csv", _assignments_csv(match).encode())]
    for name, table in (("direct", match.direct), ("indirect", match.indirect), ("joined", match.joined)):
        written.append(_write(folder / "csv" / f"{name}_matches.csv", _table_csv(table).encode()))
        written.append(_write(folder / "png" / f"{name}_matches.png", _heatmap(table, match, name)))
    return written
