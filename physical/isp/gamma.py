"""Clip and gamma: the last two stages, display-referred output in [0, 1].

Static views clip to [0, 1] (the seed's ``np.clip(img, 0, 1)``); the learnable pipeline clips to
[1e-5, 1] so that ``x^(1/γ)`` has a finite gradient in x and γ. Gamma: ``x^(1/γ)``, γ = 2.2 by default.
"""

from __future__ import annotations

import torch

__all__ = ["clip", "gamma_correct", "GAMMA"]

GAMMA = 2.2


def clip(x: torch.Tensor, low: float = 0.0, high: float = 1.0, *, out: torch.Tensor | None = None) -> torch.Tensor:
    """``x`` clamped to [low, high]; ``out`` (no autograd) receives the result without a new allocation."""
    return torch.clamp(x, low, high, out=out) if out is not None else x.clamp(low, high)


def gamma_correct(x: torch.Tensor, gamma: torch.Tensor | float = GAMMA, *, out: torch.Tensor | None = None) -> torch.Tensor:
    """``x^(1/gamma)`` for ``x`` ≥ 0; ``gamma`` a float or a (learnable) scalar tensor.

    >>> round(float(gamma_correct(torch.tensor(0.25), 2.0)), 6)
    0.5

    ``out`` (no autograd; may be ``x`` itself) receives the result without a new allocation.
    """
    return torch.pow(x, 1.0 / gamma, out=out) if out is not None else x.pow(1.0 / gamma)
