"""Resizing generated scenes and masks to the requested output size.

Method (documented, deterministic): scenes are resized in *linear* radiance with bicubic interpolation
(``torch.nn.functional.interpolate``, ``align_corners=False``, antialiased when shrinking) and clipped to
[0, 1] — bicubic overshoot at edges would otherwise create negative radiance. Masks are resized from the
model's *soft* mask (probability in [0, 1]) bilinearly and thresholded at 0.5, which keeps car outlines
smooth instead of blocky nearest-neighbour steps.

A model of size S covers the published field of view (256 px), so resizing to 256 restores the published
pixel scale (162.5 nm, 6 cm); other sizes change the pixel scale proportionally, recorded in the manifest.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from physical.checks import InputError

__all__ = ["resize_scene", "resize_mask"]


def _check(size: int) -> None:
    if size < 2 or size % 2:
        raise InputError(f"expected an even output size >= 2 (Bayer sensors need even sizes), got {size}")


def resize_scene(scene: torch.Tensor, size: int) -> torch.Tensor:
    """``(B, 3, h, w)`` linear scenes → ``(B, 3, size, size)``, bicubic, clipped to [0, 1]."""
    _check(size)
    if scene.shape[-1] == size and scene.shape[-2] == size:
        return scene.clamp(0, 1)
    shrink = size < scene.shape[-1]
    return F.interpolate(scene, size=(size, size), mode="bicubic", align_corners=False, antialias=shrink).clamp(0, 1)


def resize_mask(soft_mask: torch.Tensor, size: int) -> torch.Tensor:
    """``(B, 1, h, w)`` soft masks in [0, 1] → boolean ``(B, 1, size, size)``."""
    _check(size)
    if soft_mask.shape[-1] != size or soft_mask.shape[-2] != size:
        soft_mask = F.interpolate(soft_mask, size=(size, size), mode="bilinear", align_corners=False, antialias=size < soft_mask.shape[-1])
    return soft_mask > 0.5
