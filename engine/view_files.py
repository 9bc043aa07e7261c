"""Processed views on disk: 8-bit PNG or 16-bit TIFF (H×W×3, RGB), written atomically.

A view ``(3, H, W)`` in [0, 1] is scaled to the full integer range and rounded (``round(x · 255)`` or
``round(x · 65535)``).
"""

from __future__ import annotations

import os

import numpy as np
import tifffile
import torch
from PIL import Image

from engine.output import atomic_path

__all__ = ["VIEW_FORMATS", "write_view", "to_uint8"]

VIEW_FORMATS = {"png": ".png", "tiff16": ".tiff"}


def to_uint8(rgb: torch.Tensor) -> np.ndarray:
    """``(3, H, W)`` in [0, 1] → H×W×3 uint8."""
    a = rgb.detach().float().clamp(0, 1).mul(255).round().to(torch.uint8).cpu()
    return a.permute(1, 2, 0).contiguous().numpy()


def write_view(path: str | os.PathLike, rgb: torch.Tensor, fmt: str) -> None:
    if fmt == "png":
        with atomic_path(path) as tmp:
            Image.fromarray(to_uint8(rgb), mode="RGB").save(tmp, format="PNG")
    elif fmt == "tiff16":
        a = rgb.detach().double().clamp(0, 1).mul(65535).round().to(torch.int32).cpu()
        a = a.permute(1, 2, 0).contiguous().numpy().astype(np.uint16)
        with atomic_path(path) as tmp:
            tifffile.imwrite(tmp, a, photometric="rgb")
    else:
        raise ValueError(f"unknown view format {fmt!r}; expected one of: {', '.join(VIEW_FORMATS)}")
