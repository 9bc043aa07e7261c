"""Benchmark: reading drone tiles from the tile cache vs cutting them from the full frame each time.

Writes one full-size Raw-Drone-like frame (3648×5472 uint16, 12-bit values left-justified) and a mask with
cars into a temporary folder, opens ``DroneSegmentation`` once (cuts and caches the tiles: the "first time"),
then times, for the same tiles, (a) items read by the reader from the cache and (b) the baseline: read the
full frame TIFF and slice the tile out, as a reader without a cache must. Prints both and their ratio.

    .venv/bin/python benchmarks/bench_drone_tiles.py [--tiles 20]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image

from engine.data import DroneSegmentation
from engine.data.tiling import cut_tile


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tiles", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        rng = np.random.default_rng(0)
        frame = (rng.integers(256, 4096, (3648, 5472)) * 16).astype(np.uint16)
        (folder / "images_full" / "raw_scale100").mkdir(parents=True)
        tifffile.imwrite(folder / "images_full" / "raw_scale100" / "DJI_0001.tif", frame)
        mask = np.zeros(frame.shape, np.uint8)
        for k in range(args.tiles):  # one car per tile along the top rows
            y, x = (k // 21) * 256 + 100, (k % 21) * 256 + 90
            mask[y:y + 30, x:x + 75] = 255
        (folder / "masks_full").mkdir()
        Image.fromarray(mask).save(folder / "masks_full" / "DJI_0001.png")

        t0 = time.perf_counter()
        ds = DroneSegmentation(folder)
        t_build = time.perf_counter() - t0
        n = len(ds)
        t0 = time.perf_counter()
        cached = [ds[i]["raw"] for i in range(n)]
        t_cache = (time.perf_counter() - t0) / n
        src = folder / "images_full" / "raw_scale100" / "DJI_0001.tif"
        t0 = time.perf_counter()
        for i, name in enumerate(ds.groups):
            idx = int(name.rsplit("_", 1)[1])
            full = tifffile.imread(src)
            tile = cut_tile(full, idx, 256).astype(np.float32) / 65535
            assert np.array_equal(tile, cached[i][0].numpy())
        t_full = (time.perf_counter() - t0) / n
    print(f"tiles: {n}; first open (cut + cache): {t_build:.2f} s")
    print(f"per tile: cached {t_cache * 1e3:.2f} ms, full-frame read + slice {t_full * 1e3:.1f} ms, "
          f"ratio {t_full / t_cache:.0f}x")


if __name__ == "__main__":
    main()
