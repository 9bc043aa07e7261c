"""Tiny scene TIFFs written the way a user would give them to `dataengine capture`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile


def write_scenes(folder: Path, n: int = 2, size: tuple[int, int] = (16, 16), seed: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        p = folder / f"scene_{i:02d}.tiff"
        tifffile.imwrite(p, rng.uniform(0.05, 0.95, (*size, 3)).astype(np.float32), photometric="rgb")
        paths.append(p)
    return paths


def write_flats(folder: Path, values: list[float], size: int, name: str = "flat") -> None:
    """Two identical flat scenes per value (a and b): captured, they make EMVA frame pairs."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, v in enumerate(values):
        for ab in "ab":
            tifffile.imwrite(folder / f"{name}_{i:03d}{ab}.tiff", np.full((size, size, 3), v, np.float32), photometric="rgb")
