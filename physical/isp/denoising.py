"""Denoising of the luma ``(B, 1, H, W)``, by name: ``gaussian_denoising``, ``median_denoising``, ``fft_denoising``.

- ``gaussian_denoising``: Gaussian σ = 0.5 (5×5, scipy's ``gaussian_filter`` truncation); the same 5×5
  kernel is the learnable pipeline's initial blur.
- ``median_denoising``: 3×3 median (scipy's ``median_filter(size=3)``); gradient flows to the median pixel.
- ``fft_denoising``: keep the lowest ``keep_fraction`` of horizontal frequencies on each side (the seed's
  ``column_cut``), zero the rest, real part back. Not one of the 12 views. The seed ran its FFT over the
  width and colour axes of an H×W×3 array; here it is the 2-D FFT of the luma, as the pipeline intends.

Mirror border for the filters (:mod:`physical.isp.border`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from physical.checks import InputError, check_positive
from physical.isp.border import pad
from physical.isp.gaussian import gaussian_kernel
from physical.isp.sharpening import filter_luma
from physical.registry import Registry

__all__ = ["DENOISINGS", "gaussian_denoising", "median_denoising", "fft_denoising", "median3x3"]


def gaussian_denoising(y: torch.Tensor, sigma: float = 0.5) -> torch.Tensor:
    check_positive(sigma, "Gaussian denoising sigma")
    return filter_luma(y, gaussian_kernel(sigma, device=y.device, dtype=y.dtype))


def _sort2(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.minimum(a, b), torch.maximum(a, b)


def median3x3(x: torch.Tensor) -> torch.Tensor:
    """3×3 median of every channel of ``x`` ``(B, C, H, W)``, mirror border.

    A 19-comparator median-of-9 network (Paeth / Devillard) of elementwise min/max: exact, several times
    faster than ``torch.median`` over unfolded windows, and differentiable like a median (min/max route
    the gradient to the selected pixel).
    """
    h, w = x.shape[-2:]
    p = pad(x, 1, 1, 1, 1)
    v = [p[..., dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)]
    for i, j in ((1, 2), (4, 5), (7, 8), (0, 1), (3, 4), (6, 7), (1, 2), (4, 5), (7, 8), (0, 3), (5, 8), (4, 7),
                 (3, 6), (1, 4), (2, 5), (4, 7), (4, 2), (6, 4), (4, 2)):
        v[i], v[j] = _sort2(v[i], v[j])
    return v[4]


def median_denoising(y: torch.Tensor, size: int = 3) -> torch.Tensor:
    if size != 3:
        raise InputError(f"median denoising supports size 3 (the seed's), got {size}")
    return median3x3(y)


def fft_denoising(y: torch.Tensor, keep_fraction: float = 0.3) -> torch.Tensor:
    if not (0 < keep_fraction <= 0.5):
        raise InputError(f"expected an FFT keep fraction in (0, 0.5], got {keep_fraction}")
    spectrum = torch.fft.fft2(y)
    w = y.shape[-1]
    keep = torch.ones(w, dtype=torch.bool, device=y.device)
    keep[int(w * keep_fraction) : int(w * (1 - keep_fraction))] = False
    return torch.fft.ifft2(spectrum * keep).real


DENOISINGS: Registry[Callable[[torch.Tensor], torch.Tensor]] = Registry("denoising")
DENOISINGS.add("gaussian_denoising", gaussian_denoising)
DENOISINGS.add("median_denoising", median_denoising)
DENOISINGS.add("fft_denoising", fft_denoising)
