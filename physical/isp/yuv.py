"""RGB ↔ YUV (BT.601, kornia's conversion) and "apply an operation to the luma only".

The seed sharpens and denoises the Y channel of YUV and converts back after each stage. kornia's
``yuv_to_rgb`` is the exact inverse of its ``rgb_to_yuv``, whose chroma rows sum to zero; so the first
column of the inverse is (1, 1, 1) and replacing Y by ``op(Y)`` changes R, G and B by the same
``op(Y) − Y``. :func:`on_luma` computes exactly that — one weighted sum and one add instead of two 3×3
transforms — and a test checks it against the kornia round trip. scikit-image's ``rgb2yuv`` (the seed's)
has the same luma row, so results agree with the seed's numpy pipeline to rounding.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from kornia.color import rgb_to_yuv, yuv_to_rgb

__all__ = ["rgb_to_yuv", "yuv_to_rgb", "luma", "on_luma", "LUMA_WEIGHTS"]

LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # the Y row of kornia's (and scikit-image's) rgb_to_yuv


def luma(rgb: torch.Tensor) -> torch.Tensor:
    """Y ``(B, 1, H, W)`` of RGB ``(B, 3, H, W)``."""
    wr, wg, wb = LUMA_WEIGHTS
    return rgb[:, 0:1] * wr + rgb[:, 1:2] * wg + rgb[:, 2:3] * wb


def on_luma(rgb: torch.Tensor, op: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """``yuv_to_rgb`` of ``rgb_to_yuv(rgb)`` with Y replaced by ``op(Y)``; ``op`` maps (B, 1, H, W) to itself."""
    y = luma(rgb)
    return rgb + (op(y) - y)
