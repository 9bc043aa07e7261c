"""The one border rule of the ISP — whole-sample mirror (``reflect``) padding — and the small filters built on it.

Why mirror: reflecting about the edge pixel (``x[-1] = x[1]``) keeps the Bayer phase at the border (the
pixel reflected in has the colour that the periodic CFA would put there), so a demosaic near the edge still
reads the right colour. Half-sample symmetric padding (scipy's ``reflect``) or zero padding would mix
colours. It is also what ``colour-demosaicing``'s Menon (2007) uses for its 1-D filters (scipy ``mirror``).
Every stage — demosaics, sharpening, denoising — pads with :data:`BORDER`, so a static view and the
learnable pipeline agree pixel for pixel, borders included; images must be larger than half a kernel.

All filters here are *correlations* (no kernel flip), like ``torch.nn.functional.conv2d``.

Speed: the ISP's kernels are small and sparse (3 to 13 non-zero taps). On CPU, oneDNN's convolution of a
single channel is ~10× slower than summing shifted views of the padded image, so on CPU a filter is a sum
of ``weight · shifted view`` over its non-zero taps; on CUDA it is ``conv2d`` (cuDNN). Both compute the
same correlation; a kernel that requires grad uses all its taps, so every weight receives a gradient.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["BORDER", "pad", "correlate2d", "correlate_h", "correlate_v", "correlate_separable"]

BORDER = "reflect"


def pad(x: torch.Tensor, top: int, bottom: int, left: int, right: int) -> torch.Tensor:
    """Mirror-pad ``(B, C, H, W)`` by the given number of pixels."""
    return F.pad(x, (left, right, top, bottom), mode=BORDER)


def _taps(kernel: torch.Tensor) -> list[tuple[int, int, torch.Tensor | float]]:
    kh, kw = kernel.shape
    if kernel.requires_grad:
        return [(dy, dx, kernel[dy, dx]) for dy in range(kh) for dx in range(kw)]
    values = kernel.detach().cpu().tolist()
    return [(dy, dx, values[dy][dx]) for dy in range(kh) for dx in range(kw) if values[dy][dx] != 0.0]


def correlate2d(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Correlate every channel of ``x`` ``(B, C, H, W)`` with ``kernel`` ``(kh, kw)`` (odd sizes), same size out.

    Differentiable in ``x`` and ``kernel``. Shifted sums on CPU, ``conv2d`` on CUDA (same correlation).
    """
    kernel = kernel.to(device=x.device, dtype=x.dtype)
    kh, kw = kernel.shape
    padded = pad(x, kh // 2, kh // 2, kw // 2, kw // 2)
    return _by_conv2d(padded, kernel) if x.is_cuda else _by_shifted_sums(padded, kernel)


def _by_conv2d(padded: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    c = padded.shape[1]
    weight = kernel.expand(c, 1, *kernel.shape).contiguous()
    return F.conv2d(padded, weight, groups=c)


def _by_shifted_sums(padded: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    kh, kw = kernel.shape
    h, w = padded.shape[-2] - kh + 1, padded.shape[-1] - kw + 1
    taps = _taps(kernel)
    if not taps:
        return padded[..., :h, :w] * 0.0
    views = [(padded[..., dy : dy + h, dx : dx + w], weight) for dy, dx, weight in taps]
    if kernel.requires_grad or (torch.is_grad_enabled() and padded.requires_grad):
        out = views[0][0] * views[0][1]
        for view, weight in views[1:]:
            out = out + view * weight  # out of place: autograd records every tap
        return out
    # No autograd: accumulate into one fresh buffer, one fused multiply-add per tap (no temporaries).
    out = views[0][0] * views[0][1]
    for view, weight in views[1:]:
        out.add_(view, alpha=weight)
    return out


def correlate_h(x: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """Correlate along the width with 1-D ``taps`` (odd length), mirror border."""
    return correlate2d(x, taps.reshape(1, -1))


def correlate_v(x: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """Correlate along the height with 1-D ``taps`` (odd length), mirror border."""
    return correlate2d(x, taps.reshape(-1, 1))


def correlate_separable(x: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """Correlate with the rank-1 kernel ``taps ⊗ taps`` (a Gaussian): columns, then rows."""
    return correlate_h(correlate_v(x, taps), taps)
