"""Charts as PNG images (matplotlib, Agg: no display), for the head's report in chat and in the XLSX.

Each function takes plain numbers and translated labels and returns the PNG's bytes; the report decides
what to draw. DejaVu Sans draws the Kazakh letters.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display on a server

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

PNG_MIME = "image/png"
plt.rcParams["font.family"] = "DejaVu Sans"


def _png(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.tight_layout()
    fig.savefig(out, format="png", dpi=100)
    plt.close(fig)
    return out.getvalue()


def lines(
    title: str, x_labels: Sequence[str], series: dict[str, Sequence[float | None]], y_label: str
) -> bytes:
    """One line per series over the x labels (weeks); a gap where a value is None (nothing was due)."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, values in series.items():
        ax.plot(list(x_labels), [float("nan") if v is None else v for v in values], marker="o", label=name)
    ax.set_title(title)
    ax.set_ylabel(y_label)
    ax.set_ylim(0, 105)
    if series:
        ax.legend(fontsize=8, loc="lower left")
    return _png(fig)


def bars(title: str, labels: Sequence[str], values: Sequence[float], y_label: str) -> bytes:
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.bar(list(labels), list(values), color="#3b7dd8")
    ax.set_title(title)
    ax.set_ylabel(y_label)
    return _png(fig)


def stacked(title: str, labels: Sequence[str], parts: dict[str, Sequence[float]]) -> bytes:
    """Horizontal bars, one per label, made of parts (a risk list: missed work, absences, FX)."""
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.4 * len(labels) + 1.5)))
    left = [0.0] * len(labels)
    for name, values in parts.items():
        ax.barh(list(labels), list(values), left=left, label=name)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_title(title)
    ax.invert_yaxis()
    if parts:
        ax.legend(fontsize=8)
    return _png(fig)
