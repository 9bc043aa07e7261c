"""Image files on disk: scenes (float32 TIFF, H×W×3), raw frames (uint16 TIFF, H×W), views and masks.

Readers validate and raise :class:`~engine.errors.UserError` naming the file; writers are atomic.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import tifffile
import torch

from engine.errors import UserError
from engine.output import atomic_path

__all__ = ["TIFF_SUFFIXES", "list_tiffs", "read_scene", "read_raw", "write_raw", "write_scene"]

TIFF_SUFFIXES = (".tif", ".tiff")


def list_tiffs(folder: str | os.PathLike, *, recursive: bool = True) -> list[Path]:
    """TIFF files under ``folder`` sorted by relative path; fails if the folder is missing or has none."""
    root = Path(folder)
    if not root.is_dir():
        raise UserError(f"expected a folder of TIFF files, {root} is not a folder")
    pattern = "**/*" if recursive else "*"
    files = sorted(
        p for p in root.glob(pattern) if p.is_file() and p.suffix.lower() in TIFF_SUFFIXES and not p.name.startswith(".")
    )
    if not files:
        raise UserError(f"no .tif/.tiff files in {root}")
    return files


def _read_tiff(path: Path) -> np.ndarray:
    if not path.is_file():
        raise UserError(f"no such file: {path}")
    try:
        a = tifffile.imread(path)
    except Exception as exc:  # tifffile raises several types for corrupt files
        raise UserError(f"cannot read TIFF {path}: {exc}") from None
    if a.size == 0:
        raise UserError(f"cannot read TIFF {path}: no image data")
    return a


def read_scene(path: str | os.PathLike) -> torch.Tensor:
    """A scene ``(3, H, W)`` float32 from a float TIFF of shape H×W×3 (linear relative radiance)."""
    path = Path(path)
    a = _read_tiff(path)
    if a.ndim != 3 or a.shape[-1] != 3:
        raise UserError(f"expected a scene TIFF of shape H×W×3 in {path}, got shape {a.shape}")
    if a.dtype.kind != "f":
        raise UserError(f"expected a float32 scene TIFF (linear radiance) in {path}, got {a.dtype}")
    t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).permute(2, 0, 1).contiguous()
    if not bool(torch.isfinite(t).all()):
        raise UserError(f"scene {path} contains NaN or infinite values")
    if float(t.min()) < 0:
        raise UserError(f"scene {path} has negative radiance (min {float(t.min()):.4g}); expected values >= 0")
    return t


def read_raw(path: str | os.PathLike) -> torch.Tensor:
    """A raw frame ``(1, H, W)`` float32 in stored DN from a uint16 TIFF of shape H×W."""
    path = Path(path)
    a = _read_tiff(path)
    if a.dtype != np.uint16:
        raise UserError(f"expected a uint16 raw TIFF in {path}, got {a.dtype}")
    if a.ndim != 2:
        raise UserError(f"expected a raw TIFF of shape H×W in {path}, got shape {a.shape}")
    return torch.from_numpy(a.astype(np.float32))[None]


def write_raw(path: str | os.PathLike, raw: torch.Tensor) -> None:
    """Write stored DN ``(1, H, W)`` or ``(H, W)`` as a uint16 TIFF (values are already integers)."""
    a = raw.detach().cpu().numpy().reshape(raw.shape[-2], raw.shape[-1])
    a = np.clip(np.rint(a), 0, 65535).astype(np.uint16)
    with atomic_path(path) as tmp:
        tifffile.imwrite(tmp, a, photometric="minisblack")


def write_scene(path: str | os.PathLike, scene: torch.Tensor) -> None:
    """Write a scene ``(3, H, W)`` as a float32 TIFF of shape H×W×3."""
    a = scene.detach().cpu().permute(1, 2, 0).contiguous().numpy().astype(np.float32)
    with atomic_path(path) as tmp:
        tifffile.imwrite(tmp, a, photometric="rgb")
