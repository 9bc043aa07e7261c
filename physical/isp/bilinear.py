"""Bilinear demosaic: each colour plane, kept only where the CFA sees it, convolved with a 3×3 kernel.

Same kernels as ``colour_demosaicing.demosaicing_CFA_Bayer_bilinear`` (Losson et al. 2010): green
``[[0,1,0],[1,4,1],[0,1,0]]/4``, red and blue ``[[1,2,1],[2,4,2],[1,2,1]]/4``. A fixed linear operator,
so it is also the demosaic of the learnable pipeline (gradients flow to the raw input). Mirror border.
"""

from __future__ import annotations

import torch

from physical.cfa import colour_masks
from physical.isp.border import correlate2d

__all__ = ["demosaic_bilinear", "BILINEAR_KERNELS"]

_G = [[0.0, 1.0, 0.0], [1.0, 4.0, 1.0], [0.0, 1.0, 0.0]]
_RB = [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
BILINEAR_KERNELS = torch.tensor([_RB, _G, _RB]) / 4  # (3, 3, 3): R, G, B


def demosaic_bilinear(raw: torch.Tensor, pattern: str) -> torch.Tensor:
    """``(B, 1, H, W)`` mosaic → ``(B, 3, H, W)`` RGB by bilinear interpolation (same units)."""
    masks = colour_masks(pattern, raw.shape[-2], raw.shape[-1], device=raw.device, dtype=raw.dtype)
    planes = raw * masks  # (B, 3, H, W): each colour where the CFA sees it, zero elsewhere
    k = BILINEAR_KERNELS.to(raw.device)
    r_b = correlate2d(planes[:, 0::2], k[0])  # red and blue share a kernel
    g = correlate2d(planes[:, 1:2], k[1])
    return torch.cat([r_b[:, :1], g, r_b[:, 1:]], dim=1)
