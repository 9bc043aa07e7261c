"""Segmentation masks on disk: PNG (or TIFF), any non-zero colour channel = object (car).

Published Raw-Drone masks and ``dataengine synthesize`` masks are read the same way. An alpha channel is
ignored. Masks are written as 8-bit greyscale PNGs holding 0 and 255, atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.errors import UserError
from engine.output import atomic_path

__all__ = ["MASK_SUFFIXES", "read_mask", "write_mask"]

MASK_SUFFIXES = (".png", ".tif", ".tiff")


def read_mask(path: str | Path) -> np.ndarray:
    """A mask ``(H, W)`` bool."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".png":
            from PIL import Image

            with Image.open(path) as im:
                im.load()
                if im.mode == "P":
                    im = im.convert("RGB")
                a = np.asarray(im)
        else:
            import tifffile

            a = tifffile.imread(path)
    except Exception as exc:  # PIL and tifffile raise several types for corrupt files
        raise UserError(f"cannot read mask {path}: {exc}") from None
    if a.ndim == 3 and a.shape[-1] in (2, 4):
        a = a[..., :-1]  # drop alpha
    if a.ndim == 3 and a.shape[-1] in (1, 3):
        a = a.any(axis=-1)
    if a.ndim != 2:
        raise UserError(f"expected a mask of shape HxW (or HxWx3) in {path}, got shape {a.shape}")
    return a != 0


def write_mask(path: str | Path, mask: np.ndarray) -> None:
    """Write a bool mask ``(H, W)`` as an 8-bit PNG of 0 / 255."""
    from PIL import Image

    img = Image.fromarray(np.where(np.asarray(mask, dtype=bool), 255, 0).astype(np.uint8), mode="L")
    with atomic_path(path) as tmp:
        img.save(tmp, format="PNG")
