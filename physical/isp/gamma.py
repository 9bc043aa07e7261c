"""Clip and gamma: the last two stages, display-referred output in [0, 1].

Static views clip to [0, 1] (the seed's ``np.clip(img, 0, 1)``); the learnable pipeline clips to
[1e-5, 1] so that ``x^(1/γ)`` has a finite gradient in x and γ. Gamma: ``x^(1/γ)``, γ = 2.2 by default.
"""

from __future__ import annotations

import torch

__all__ = ["clip", "gamma_correct", "GAMMA"]

GAMMA = 2.2


def clip(x: torch.Tensor, low: float = 0.0, high: float = 1.0) -> torch.Tensor:
    return x.clamp(low, high)


def gamma_correct(x: torch.Tensor, gamma: torch.Tensor | float = GAMMA) -> torch.Tensor:
    """``x^(1/gamma)`` for ``x`` ≥ 0; ``gamma`` a float or a (learnable) scalar tensor.

    >>> round(float(gamma_correct(torch.tensor(0.25), 2.0)), 6)
    0.5
    """
    return x.pow(1.0 / gamma)
