"""Find and check the raw frames of a dataset: ``raw_scaleNNN/`` folders of uint16 TIFFs (H×W, stored DN).

Headers are checked without reading pixel data (``tifffile.TiffFile``), so opening a dataset of thousands of
frames checks every file's dtype and size in seconds. Loading divides stored DN by 2¹⁶ − 1 (DOMAIN.md: the
published readers do this for both datasets, the drone's 12-bit values being left-justified in 16 bits).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile
import torch

from engine.errors import UserError
from engine.imagefiles import TIFF_SUFFIXES, read_raw
from engine.layout import parse_intensity_folder

__all__ = ["STORED_FULL_SCALE", "intensity_dirs", "select_intensities", "raw_files", "check_raw_tiff", "load_raw01", "to_unit_range"]

STORED_FULL_SCALE = 65535.0


def intensity_dirs(images_dir: Path) -> dict[float, Path]:
    """``{ratio: folder}`` of the ``raw_scaleNNN`` folders in ``images_dir``, by ratio."""
    if not images_dir.is_dir():
        raise UserError(f"expected an images folder {images_dir} with raw_scaleNNN/ folders; it is missing")
    found = {}
    for p in images_dir.iterdir():
        r = parse_intensity_folder(p.name)
        if r is not None and p.is_dir():
            found[r] = p
    if not found:
        raise UserError(f"no raw_scaleNNN/ folders in {images_dir}")
    return dict(sorted(found.items()))


def select_intensities(dirs: dict[float, Path], wanted: tuple[float, ...] | None, where: Path) -> dict[float, Path]:
    """The requested intensities' folders; an absent one fails listing those present."""
    if wanted is None:
        return dirs
    out = {}
    for r in wanted:
        match = [k for k in dirs if abs(k - float(r)) < 1e-9]
        if not match:
            have = ", ".join(f"{k:g}" for k in dirs)
            raise UserError(f"no intensity {r:g} in {where} (raw_scale{round(float(r) * 100):03d}/ is missing); present: {have}")
        out[match[0]] = dirs[match[0]]
    return out


def raw_files(folder: Path) -> dict[str, Path]:
    """``{stem: path}`` of the TIFFs directly in ``folder`` (hidden files ignored)."""
    out: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.suffix.lower() in TIFF_SUFFIXES and not p.name.startswith("."):
            if p.stem in out:
                raise UserError(f"{folder} holds both {out[p.stem].name} and {p.name}; keep one")
            out[p.stem] = p
    return out


def check_raw_tiff(path: Path, expected: tuple[int, int] | None = None) -> tuple[int, int]:
    """``(H, W)`` of a raw TIFF after checking dtype uint16, 2-D, even size and ``expected`` size if given."""
    try:
        with tifffile.TiffFile(path) as tf:
            series = tf.series[0]
            shape, dtype = tuple(series.shape), np.dtype(series.dtype)
    except Exception as exc:  # tifffile raises several types for corrupt files
        raise UserError(f"cannot read TIFF {path}: {exc}") from None
    if dtype != np.uint16:
        raise UserError(f"expected a uint16 raw TIFF in {path}, got {dtype}")
    if len(shape) != 2:
        raise UserError(f"expected a raw TIFF of shape HxW in {path}, got shape {shape}")
    if expected is not None and shape != tuple(expected):
        raise UserError(f"{path} is {shape[0]}x{shape[1]}; expected {expected[0]}x{expected[1]} like the dataset's other frames")
    if shape[0] % 2 or shape[1] % 2:
        raise UserError(f"{path} is {shape[0]}x{shape[1]}; a Bayer raw frame needs even height and width")
    return shape[0], shape[1]


def load_raw01(path: Path, expected: tuple[int, int] | None = None) -> torch.Tensor:
    """A raw frame ``(1, H, W)`` float32 in [0, 1] (stored DN / 65535)."""
    raw = read_raw(path)
    if expected is not None and tuple(raw.shape[-2:]) != tuple(expected):
        raise UserError(f"{path} is {raw.shape[-2]}x{raw.shape[-1]}; expected {expected[0]}x{expected[1]}")
    return to_unit_range(raw)


def to_unit_range(raw_dn: torch.Tensor) -> torch.Tensor:
    """Stored DN → [0, 1], computed in numpy: a tiny torch op per item costs ~10 ms when the intra-op
    thread pool competes for busy cores (measured on the 2-core dev machine); numpy runs single-threaded."""
    return torch.from_numpy(raw_dn.numpy() / np.float32(STORED_FULL_SCALE))
