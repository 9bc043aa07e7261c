"""Sampled, normalised Gaussian kernels truncated at ``truncate · σ`` (scipy's ``gaussian_filter`` rule:
radius ``int(truncate · σ + 0.5)``), so σ = 0.5 gives 5×5 and σ = 1 gives 9×9."""

from __future__ import annotations

import torch
from kornia.filters import get_gaussian_kernel1d, get_gaussian_kernel2d

__all__ = ["gaussian_kernel", "gaussian_taps"]


def gaussian_kernel(sigma: float, truncate: float = 4.0, *, device=None, dtype=torch.float32) -> torch.Tensor:
    """``(k, k)`` kernel summing to 1, ``k = 2 · int(truncate · sigma + 0.5) + 1``.

    >>> gaussian_kernel(0.5).shape, round(float(gaussian_kernel(0.5).sum()), 6)
    (torch.Size([5, 5]), 1.0)
    """
    radius = int(truncate * float(sigma) + 0.5)
    k = 2 * radius + 1
    return get_gaussian_kernel2d((k, k), (float(sigma), float(sigma)), device=device, dtype=dtype)[0]


def gaussian_taps(sigma: float, truncate: float = 4.0, *, device=None, dtype=torch.float32) -> torch.Tensor:
    """The 1-D factor ``(k,)`` of :func:`gaussian_kernel` (``gaussian_kernel = taps ⊗ taps``)."""
    k = 2 * int(truncate * float(sigma) + 0.5) + 1
    return get_gaussian_kernel1d(k, float(sigma), device=device, dtype=dtype)[0]
