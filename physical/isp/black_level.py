"""Black level: subtract one offset per CFA site (reading order 0 = (0, 0), 1 = (0, 1), 2 = (1, 0), 3 = (1, 1)).

Values are normalised to [0, 1] of the stored range (stored DN / (2^stored_bits − 1)). Where the right
black level comes from: a simulated raw carries it in ``RawMeta.black_level_normalised`` (all four sites);
the published files are described by ``CameraParams.black_level`` of their device (the seed's numbers).
"""

from __future__ import annotations

import torch

from physical.checks import InputError, check_image

__all__ = ["subtract_black_level"]


def subtract_black_level(raw: torch.Tensor, levels: torch.Tensor) -> torch.Tensor:
    """``raw − level`` of each pixel's CFA site.

    Args:
        raw: ``(B, 1, H, W)`` normalised raw, H and W even.
        levels: ``(4,)`` or ``(B, 4)`` normalised offsets per site, reading order.
    Returns:
        ``(B, 1, H, W)``; may be negative (dark noise), nothing is clipped here.

    >>> subtract_black_level(torch.ones(1, 1, 2, 2), torch.tensor([0.5, 0.25, 0.75, 0.0])).flatten().tolist()
    [0.5, 0.75, 0.25, 1.0]
    """
    check_image(raw, "raw", 1, even=True)
    if levels.shape not in ((4,), (raw.shape[0], 4)):
        raise InputError(f"expected black levels of shape (4,) or ({raw.shape[0]}, 4), got {tuple(levels.shape)}")
    b, _, h, w = raw.shape
    per_site = levels.to(raw.dtype).reshape(-1, 1, 1, 2, 1, 2)
    return (raw.reshape(b, 1, h // 2, 2, w // 2, 2) - per_site).reshape(b, 1, h, w)

