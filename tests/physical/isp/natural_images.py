"""Natural test images: crops of scikit-image's bundled photographs (no network), float64 RGB in [0, 1]."""

from __future__ import annotations

import numpy as np
import skimage.data
import torch


def photo(name: str = "astronaut", top: int = 100, left: int = 150, size: int = 64) -> torch.Tensor:
    """``(1, 3, size, size)`` float64 crop of ``skimage.data.<name>()``."""
    a = getattr(skimage.data, name)()[top : top + size, left : left + size].astype(np.float64) / 255
    return torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1)[None]


def psnr(a: np.ndarray, b: np.ndarray, margin: int = 0, peak: float = 1.0) -> float:
    """PSNR of ``a`` against ``b`` (H×W[×C]) on the interior ``margin`` pixels in from every side."""
    if margin:
        a, b = a[margin:-margin, margin:-margin], b[margin:-margin, margin:-margin]
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(peak**2 / mse)
