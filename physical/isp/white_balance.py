"""White balance: multiply R, G, B by per-channel gains (the seed's ``img * white_balance``)."""

from __future__ import annotations

import torch

from physical.checks import InputError, check_image

__all__ = ["white_balance"]


def white_balance(rgb: torch.Tensor, gains: torch.Tensor) -> torch.Tensor:
    """``rgb`` ``(B, 3, H, W)`` × ``gains`` ``(3,)`` or ``(B, 3)`` per channel; linear units in and out.

    >>> white_balance(torch.ones(1, 3, 1, 1), torch.tensor([2.0, 1.0, 0.5])).flatten().tolist()
    [2.0, 1.0, 0.5]
    """
    check_image(rgb, "rgb image", 3)
    if gains.shape not in ((3,), (rgb.shape[0], 3)):
        raise InputError(f"expected white-balance gains of shape (3,) or ({rgb.shape[0]}, 3), got {tuple(gains.shape)}")
    return rgb * gains.to(rgb.dtype).reshape(-1, 3, 1, 1)
