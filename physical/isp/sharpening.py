"""Sharpening of the luma ``(B, 1, H, W)``, by name: ``sharpening_filter`` and ``unsharp_masking``.

- ``sharpening_filter``: one pass of ``[[0,-1,0],[-1,5,-1],[0,-1,0]]`` (the seed's kernel; the learnable
  pipeline starts from it and learns it).
- ``unsharp_masking``: ``y + amount · (y − G_radius * y)`` as scikit-image's ``unsharp_mask`` with
  ``preserve_range=True`` (the seed's call): Gaussian σ = radius, truncated at 4σ. Without scikit-image's
  clip: the pipeline clips once, after denoising.

Mirror border (:mod:`physical.isp.border`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from physical.checks import check_positive
from physical.isp.border import correlate2d, correlate_separable
from physical.isp.gaussian import gaussian_taps
from physical.registry import Registry

__all__ = ["SHARPENINGS", "SHARPENING_KERNEL", "sharpening_filter", "unsharp_masking", "filter_luma"]

SHARPENING_KERNEL = torch.tensor([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]])


def filter_luma(y: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Correlate ``y`` with a (learnable) ``kernel`` ``(k, k)``: the sharpening and blur stages' one line of math."""
    return correlate2d(y, kernel)


def sharpening_filter(y: torch.Tensor) -> torch.Tensor:
    return filter_luma(y, SHARPENING_KERNEL.to(y.device))


def unsharp_masking(y: torch.Tensor, radius: float = 1.0, amount: float = 1.0) -> torch.Tensor:
    check_positive(radius, "unsharp-masking radius")
    blurred = correlate_separable(y, gaussian_taps(radius, device=y.device, dtype=y.dtype))  # 9 + 9 taps, not 81
    return y + amount * (y - blurred)


SHARPENINGS: Registry[Callable[[torch.Tensor], torch.Tensor]] = Registry("sharpening")
SHARPENINGS.add("sharpening_filter", sharpening_filter)
SHARPENINGS.add("unsharp_masking", unsharp_masking)
