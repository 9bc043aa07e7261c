"""The contact sheet: one PNG showing a raw image through every view (rows: intensities when several).

Layout: with one intensity, the views in a grid of ``columns`` (4 for the 12 views: rows are the
demosaics, columns sharpening × denoising); with several, one row per intensity and one column per view.
Each panel is labelled with its view name (one line per stage) and, with several rows, the intensity.
Composed with matplotlib's object API (no global pyplot state), written atomically.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence

import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from engine.output import atomic_path
from engine.view_files import to_uint8

__all__ = ["write_contact_sheet"]


def write_contact_sheet(path: str | os.PathLike, rows: Mapping[str, Mapping[str, torch.Tensor]], *,
                        title: str = "", columns: int = 4) -> None:
    """``rows``: {row label (e.g. intensity): {view name: (3, H, W) in [0, 1]}}, all rows the same views."""
    labels = list(rows)
    views: Sequence[str] = list(next(iter(rows.values())))
    if len(labels) == 1:
        ncols = min(columns, len(views))
        nrows = math.ceil(len(views) / ncols)
        cells = [(labels[0], v) for v in views]
    else:
        nrows, ncols = len(labels), len(views)
        cells = [(r, v) for r in labels for v in views]
    panel = 2.2
    fig = Figure(figsize=(ncols * panel, nrows * (panel + 0.5) + (0.4 if title else 0)))
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
    for k, (ax, (row, view)) in enumerate(zip(axes.flat, cells)):
        ax.imshow(to_uint8(rows[row][view]), interpolation="nearest")
        if len(labels) == 1 or k < ncols:  # several rows: view names over the first row only
            ax.set_title(view.replace("+", "\n"), fontsize=7)
        if len(labels) > 1 and k % ncols == 0:
            ax.set_ylabel(row, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
