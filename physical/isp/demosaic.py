"""Demosaic: Bayer mosaic ``(B, 1, H, W)`` → RGB ``(B, 3, H, W)``, by name.

``bilinear``, ``malvar2004`` and ``menon2007``, all batched torch, all four CFA phases (``RGGB``, ``BGGR``,
``GRBG``, ``GBRG``), mirror border, parity with ``colour-demosaicing`` in the image interior.
Values are not clipped (a demosaic of a black-level-subtracted mosaic can go slightly negative).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from physical.cfa import site_colours
from physical.checks import InputError, check_image
from physical.isp.bilinear import demosaic_bilinear
from physical.isp.malvar2004 import demosaic_malvar2004
from physical.isp.menon2007 import demosaic_menon2007
from physical.registry import Registry

__all__ = ["DEMOSAICS", "demosaic"]

DEMOSAICS: Registry[Callable[[torch.Tensor, str], torch.Tensor]] = Registry("demosaic")
DEMOSAICS.add("bilinear", demosaic_bilinear)
DEMOSAICS.add("malvar2004", demosaic_malvar2004)
DEMOSAICS.add("menon2007", demosaic_menon2007)

_MIN_SIDE = 6  # the widest filter (Menon's 5-tap plus 2-pixel differences) must mirror inside the image


def demosaic(raw: torch.Tensor, pattern: str, method: str = "bilinear") -> torch.Tensor:
    """Demosaic ``raw`` ``(B, 1, H, W)`` (even H, W ≥ 6) of CFA ``pattern`` with ``method``.

    >>> demosaic(torch.ones(1, 1, 8, 8), "GRBG", "malvar2004").shape
    torch.Size([1, 3, 8, 8])
    """
    fn = DEMOSAICS.get(method)
    site_colours(pattern)  # validates the pattern name
    check_image(raw, "raw", 1, even=True)
    if min(raw.shape[-2:]) < _MIN_SIDE:
        raise InputError(f"expected raw of at least {_MIN_SIDE}×{_MIN_SIDE} pixels to demosaic, got {tuple(raw.shape)}")
    return fn(raw, pattern)
