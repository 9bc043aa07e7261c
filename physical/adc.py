"""Analogue-to-digital conversion: electrons → stored digital numbers.

    e  = min(e, full_well_e)
    DN = clip(round(K · e + black_level), 0, 2^bits − 1) · 2^left_shift

With ``differentiable=True`` rounding is straight-through (forward exact, gradient 1) and the clips pass
the gradient inside their range.
"""

from __future__ import annotations

import torch

from physical.autograd_state import records_grad
__all__ = ["adc", "electrons_from_dn"]


def _round(x: torch.Tensor, differentiable: bool) -> torch.Tensor:
    r = torch.round(x)
    return x + (r - x).detach() if differentiable and x.requires_grad else r


def adc(
    e: torch.Tensor,
    *,
    full_well_e: float | torch.Tensor,
    gain_dn_per_e: float | torch.Tensor,
    black_level_dn: float | torch.Tensor,
    bits: int,
    left_shift: int,
    differentiable: bool = False,
) -> torch.Tensor:
    """Stored DN ``(B, 1, H, W)`` float32 from electrons ``e`` ``(B, 1, H, W)``.

    ``gain_dn_per_e`` and ``black_level_dn`` are in ADC DN (before the left shift).

    >>> adc(torch.tensor([[[[0.0, 100.0, 1e9]]]]), full_well_e=1e4, gain_dn_per_e=0.5,
    ...     black_level_dn=10.0, bits=12, left_shift=4)
    tensor([[[[  160.,   960., 65520.]]]])
    """
    full_well = torch.as_tensor(full_well_e, dtype=e.dtype, device=e.device)
    if not records_grad(e, full_well, gain_dn_per_e, black_level_dn):
        # the same arithmetic in place on a copy (no autograd to feed): one full-size allocation
        dn = torch.minimum(e, full_well).mul_(gain_dn_per_e).add_(black_level_dn).round_()
        return dn.clamp_(0, 2**bits - 1).mul_(float(2**left_shift))
    e = torch.minimum(e, full_well)
    dn = _round(gain_dn_per_e * e + black_level_dn, differentiable)
    dn = dn.clamp(0, 2**bits - 1)
    return dn * float(2**left_shift)


def electrons_from_dn(
    stored_dn: torch.Tensor, *, gain_dn_per_e: float, black_level_dn: float, left_shift: int
) -> torch.Tensor:
    """Inverse of the linear part of :func:`adc`: electrons above black from stored DN."""
    return (stored_dn / float(2**left_shift) - black_level_dn) / gain_dn_per_e
