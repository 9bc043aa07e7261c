"""Tiling and tile selection (pure functions), with the seed's balancing as the parity reference."""

from __future__ import annotations

import random

import numpy as np
import pytest

from engine.data.tiling import classification_tiles, cut_tile, segmentation_tiles, tile_counts, tile_grid, tile_origin


def test_grid_drops_the_remainder_like_the_published_frames():
    assert tile_grid(3648, 5472, 256) == (14, 21)  # 294 tiles of a Raw-Drone frame
    assert tile_origin(22, 21, 256) == (256, 256)
    frame = np.arange(10 * 12).reshape(10, 12)
    np.testing.assert_array_equal(cut_tile(frame, 3, 4), frame[4:8, 0:4])  # 3 tiles per row, 2 rows
    with pytest.raises(ValueError):
        tile_grid(8, 8, 0)


def test_counts_and_segmentation_tiles():
    mask = np.zeros((8, 12), bool)
    mask[0, 0] = True
    mask[5:8, 9:12] = True
    counts = tile_counts(mask, 4)
    assert counts.tolist() == [1, 0, 0, 0, 0, 9]
    assert segmentation_tiles(counts) == [0, 5]


def _seed_balancing(fractions, seed, thr):
    """The seed's binary_class_detection index logic, as published (reference for parity)."""
    with_class, without_class, no_class = [], [], []
    for i, m in enumerate(fractions):
        if m == 0:
            without_class.append(i)
        elif m > thr:
            with_class.append(i)
        else:
            no_class.append(i)
    n, m = len(with_class), len(without_class)
    random.seed(seed)
    if n <= m:
        random.shuffle(without_class)
        with_class.extend(without_class[: m - n])
    else:
        random.shuffle(with_class)
        without_class.extend(with_class[: n - m])
    keep_with = [i for i in range(len(fractions)) if i not in without_class + no_class]
    keep_without = [i for i in range(len(fractions)) if i not in with_class + no_class]
    return keep_with, keep_without


@pytest.mark.parametrize("seed", [72, 5])
def test_classification_balancing_matches_the_seed(seed):
    rng = np.random.default_rng(seed)
    tile = 16
    for trial in range(20):
        n = int(rng.integers(3, 40))
        counts = rng.choice([0, 0, 0, 1, 2, 3, 50, 200], size=n)  # 2/256 and 3/256 <= 0.01 are ambiguous
        car, no_car = classification_tiles(counts, tile, 0.01, seed)
        ref_car, ref_no = _seed_balancing(counts / tile**2, seed, 0.01)
        assert (car, no_car) == (ref_car, ref_no)
        assert len(car) == len(no_car)
        assert all(counts[i] / tile**2 > 0.01 for i in car) and all(counts[i] == 0 for i in no_car)


def test_ambiguous_tiles_are_dropped():
    counts = np.array([0, 0, 2, 100, 0])  # tile 16: 2/256 = 0.0078 <= 0.01 → dropped
    car, no_car = classification_tiles(counts, 16)
    assert car == [3] and len(no_car) == 1 and 2 not in no_car
