"""Where each colour sits in a Bayer mosaic, as boolean masks the demosaics select with.

Built from :func:`physical.cfa.colour_masks` (one source of truth for the four phases). The masks are
``(1, 1, H, W)`` so they broadcast over a batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from physical.cfa import colour_masks

__all__ = ["CfaLayout", "cfa_layout"]


@dataclass(frozen=True)
class CfaLayout:
    """Boolean masks ``(1, 1, H, W)``: pixels of each colour, and rows / columns that contain red or blue."""

    red: torch.Tensor
    green: torch.Tensor
    blue: torch.Tensor
    red_rows: torch.Tensor
    blue_rows: torch.Tensor
    red_cols: torch.Tensor
    blue_cols: torch.Tensor


def cfa_layout(pattern: str, height: int, width: int, device=None) -> CfaLayout:
    m = colour_masks(pattern, height, width, device=device) > 0
    r, g, b = m[0][None, None], m[1][None, None], m[2][None, None]
    return CfaLayout(
        red=r,
        green=g,
        blue=b,
        red_rows=r.any(dim=-1, keepdim=True).expand_as(r),
        blue_rows=b.any(dim=-1, keepdim=True).expand_as(b),
        red_cols=r.any(dim=-2, keepdim=True).expand_as(r),
        blue_cols=b.any(dim=-2, keepdim=True).expand_as(b),
    )
