"""Malvar, He and Cutler (2004) "High-quality linear interpolation for demosaicing of Bayer-patterned colour
images": bilinear plus a Laplacian correction from the other channels, as four 5×5 linear filters.

Same kernels and selection as ``colour_demosaicing.demosaicing_CFA_Bayer_Malvar2004``; each pixel picks by its CFA position. Mirror border.
"""

from __future__ import annotations

import torch

from physical.isp.border import correlate2d
from physical.isp.cfa_layout import cfa_layout

__all__ = ["demosaic_malvar2004", "MALVAR_KERNELS"]

_G_AT_RB = [
    [0.0, 0.0, -1.0, 0.0, 0.0],
    [0.0, 0.0, 2.0, 0.0, 0.0],
    [-1.0, 2.0, 4.0, 2.0, -1.0],
    [0.0, 0.0, 2.0, 0.0, 0.0],
    [0.0, 0.0, -1.0, 0.0, 0.0],
]
# At a green pixel: the colour whose samples are left and right of it (row neighbours).
_ROW = [
    [0.0, 0.0, 0.5, 0.0, 0.0],
    [0.0, -1.0, 0.0, -1.0, 0.0],
    [-1.0, 4.0, 5.0, 4.0, -1.0],
    [0.0, -1.0, 0.0, -1.0, 0.0],
    [0.0, 0.0, 0.5, 0.0, 0.0],
]
# At a red pixel the blue value, at a blue pixel the red value (diagonal neighbours).
_DIAG = [
    [0.0, 0.0, -1.5, 0.0, 0.0],
    [0.0, 2.0, 0.0, 2.0, 0.0],
    [-1.5, 0.0, 6.0, 0.0, -1.5],
    [0.0, 2.0, 0.0, 2.0, 0.0],
    [0.0, 0.0, -1.5, 0.0, 0.0],
]
_ROWT = [list(r) for r in zip(*_ROW)]  # the column-neighbour colour at a green pixel
MALVAR_KERNELS = torch.tensor([_G_AT_RB, _ROW, _ROWT, _DIAG]) / 8  # (4, 5, 5); all symmetric under 180°


def demosaic_malvar2004(raw: torch.Tensor, pattern: str) -> torch.Tensor:
    """``(B, 1, H, W)`` mosaic → ``(B, 3, H, W)`` RGB (same units); H, W ≥ 3."""
    lay = cfa_layout(pattern, raw.shape[-2], raw.shape[-1], device=raw.device)
    g_rb, row, col, diag = (correlate2d(raw, k) for k in MALVAR_KERNELS)
    zero = raw.new_zeros(())
    g_in_red_row = lay.green & lay.red_rows  # its row neighbours are red
    g_in_blue_row = lay.green & lay.blue_rows
    r = torch.where(lay.red, raw, zero)
    r = torch.where(g_in_red_row, row, r)
    r = torch.where(g_in_blue_row, col, r)
    r = torch.where(lay.blue, diag, r)
    g = torch.where(lay.green, raw, g_rb)
    b = torch.where(lay.blue, raw, zero)
    b = torch.where(g_in_blue_row, row, b)
    b = torch.where(g_in_red_row, col, b)
    b = torch.where(lay.red, diag, b)
    return torch.cat([r, g, b], dim=1)
