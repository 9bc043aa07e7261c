"""Tiling full frames into square tiles and choosing the tiles of each task (pure functions, no files).

Tiles are cut row by row from the top-left corner without overlap; the remainder at the right and bottom
edges is dropped (a 5472×3648 Raw-Drone frame gives 21 × 14 = 294 tiles of 256²), as the seed's
``skimage.util.view_as_windows`` split did. Tile ``i`` of a frame with ``cols`` tiles per row starts at
``(i // cols * tile, i % cols * tile)``.

- segmentation keeps the tiles that contain object pixels (car fraction > 0);
- classification labels a tile ``car`` when its car fraction exceeds ``threshold`` (0.01) and ``no car`` when
  it is 0; tiles in between are dropped as ambiguous. Per frame, the larger group is cut down at random to
  the size of the smaller one with ``random.Random(seed)`` (seed 72): the seed's own balancing, so the same
  frames give the same tiles. Datasets of single-tile frames (synthetic 256² tiles) are balanced across the
  dataset instead (``balance`` on the pooled lists), since per frame nothing would be left.
"""

from __future__ import annotations

import random
from typing import TypeVar

import numpy as np

T = TypeVar("T")

__all__ = ["CLASSIFICATION_SEED", "CAR_THRESHOLD", "tile_grid", "tile_origin", "tile_counts", "cut_tile",
           "segmentation_tiles", "classify_tiles", "balance", "classification_tiles"]

CLASSIFICATION_SEED = 72  # the seed's random_state
CAR_THRESHOLD = 0.01


def tile_grid(height: int, width: int, tile: int) -> tuple[int, int]:
    """``(rows, cols)`` of whole tiles in a frame."""
    if tile <= 0:
        raise ValueError(f"expected a tile size > 0, got {tile}")
    return height // tile, width // tile


def tile_origin(index: int, cols: int, tile: int) -> tuple[int, int]:
    """Top-left ``(y, x)`` of tile ``index``."""
    return index // cols * tile, index % cols * tile


def cut_tile(frame: np.ndarray, index: int, tile: int) -> np.ndarray:
    """Tile ``index`` of a frame ``(H, W)``."""
    _, cols = tile_grid(frame.shape[0], frame.shape[1], tile)
    y, x = tile_origin(index, cols, tile)
    return frame[y:y + tile, x:x + tile]


def tile_counts(mask: np.ndarray, tile: int) -> np.ndarray:
    """Object pixels per tile, ``(rows * cols,)`` int64, of a bool mask ``(H, W)``.

    >>> tile_counts(np.eye(4, dtype=bool), 2).tolist()
    [2, 0, 0, 2]
    """
    rows, cols = tile_grid(mask.shape[0], mask.shape[1], tile)
    m = np.asarray(mask[: rows * tile, : cols * tile], dtype=np.int64)
    return m.reshape(rows, tile, cols, tile).sum(axis=(1, 3)).reshape(-1)


def segmentation_tiles(counts: np.ndarray) -> list[int]:
    """Indices of tiles that contain object pixels."""
    return [int(i) for i in np.flatnonzero(np.asarray(counts) > 0)]


def classify_tiles(counts: np.ndarray, tile: int, threshold: float = CAR_THRESHOLD) -> tuple[list[int], list[int]]:
    """``(car, no_car)`` tile indices of one frame before balancing; ambiguous tiles are in neither."""
    fractions = np.asarray(counts, dtype=np.float64) / (tile * tile)
    return [int(i) for i in np.flatnonzero(fractions > threshold)], [int(i) for i in np.flatnonzero(fractions == 0)]


def balance(car: list[T], no_car: list[T], seed: int = CLASSIFICATION_SEED) -> tuple[list[T], list[T]]:
    """Cut the larger list down to the size of the smaller at random (``random.Random(seed)``), keeping order."""
    keep = min(len(car), len(no_car))
    rng = random.Random(seed)
    if len(car) <= len(no_car):
        order = list(range(len(no_car)))
        rng.shuffle(order)
        return list(car), [no_car[j] for j in sorted(order[len(order) - keep:])]
    order = list(range(len(car)))
    rng.shuffle(order)
    return [car[j] for j in sorted(order[len(order) - keep:])], list(no_car)


def classification_tiles(counts: np.ndarray, tile: int, threshold: float = CAR_THRESHOLD,
                         seed: int = CLASSIFICATION_SEED) -> tuple[list[int], list[int]]:
    """``(car, no_car)`` tile indices of one frame, balanced to equal size, each in frame order."""
    car, no_car = classify_tiles(counts, tile, threshold)
    return balance(car, no_car, seed)  # reseeded per frame, as the seed did
