"""The drone readers: tiling of full frames, the segmentation and classification variants, the tile cache."""

from __future__ import annotations

import os

import numpy as np
import pytest
import tifffile
import torch

from engine.data import DroneClassification, DroneSegmentation
from engine.errors import UserError
from physical.devices import get_device
from tests.engine.data.conftest import write_drone

# 48x64 frames, 16-px tiles: 3 rows x 4 cols = 12 tiles per frame.
CARS = {
    "DJI_0001": [(0, 10, 0, 10), (20, 21, 36, 38)],  # tile 0: 100 px (39 %), tile 6: 2 px (0.8 %, ambiguous)
    "DJI_0002": [(16, 48, 48, 64)],                  # tiles 7 and 11, full
}


def test_segmentation_keeps_tiles_with_cars_and_their_masks(tmp_path):
    write_drone(tmp_path, CARS)
    ds = DroneSegmentation(tmp_path, tile=16)
    assert ds.groups == ["DJI_0001_00000", "DJI_0001_00006", "DJI_0002_00007", "DJI_0002_00011"]
    item = ds[0]
    assert item["raw"].shape == (1, 16, 16) and item["raw"].dtype == torch.float32
    assert item["target"].shape == (1, 16, 16) and float(item["target"].sum()) == 100
    assert float(ds[1]["target"].sum()) == 2
    assert set(torch.unique(item["target"]).tolist()) == {0.0, 1.0}
    # The tile is the frame's slice, stored DN / 65535.
    frame = tifffile.imread(tmp_path / "images_full" / "raw_scale100" / "DJI_0002.tif")
    np.testing.assert_array_equal(ds[2]["raw"][0].numpy(), frame[16:32, 48:64].astype(np.float32) / 65535)
    cam = get_device("drone-l1d-20c").camera
    assert torch.allclose(item["black_level"], torch.tensor(cam.black_level))
    assert item["name"] == "raw_scale100/DJI_0001_00000"


def test_classification_drops_ambiguous_tiles_and_balances(tmp_path):
    write_drone(tmp_path, CARS)
    ds = DroneClassification(tmp_path, tile=16)
    assert ds.classes == ("car", "no car")
    # Frame 1: car tiles [0] (tile 6 is ambiguous) → 1 no-car tile; frame 2: car [7, 11] → 2 no-car tiles.
    assert ds.targets.count(0) == 3 and ds.targets.count(1) == 3
    names = dict(zip(ds.groups, ds.targets))
    assert "DJI_0001_00006" not in names and names["DJI_0001_00000"] == 0 and names["DJI_0002_00011"] == 0
    for g, t in names.items():
        if t == 1:
            stem, idx = g.rsplit("_", 1)
            assert int(idx) not in {0, 6, 7, 11}
    again = DroneClassification(tmp_path, tile=16)
    assert again.groups == ds.groups  # fixed seed
    other = DroneClassification(tmp_path, tile=16, seed=1)
    assert sorted(other.targets) == sorted(ds.targets)
    assert int(ds[0]["target"]) == 0 and ds[0]["target"].dtype == torch.int64


def test_tiles_are_cached_and_rebuilt_when_a_frame_changes(tmp_path):
    write_drone(tmp_path, CARS, intensities=(1.0, 0.25))
    DroneSegmentation(tmp_path, intensities=(1.0, 0.25), tile=16)
    tile = tmp_path / "tiles_16" / "raw_scale025" / "DJI_0002_00007.tiff"
    assert tile.is_file() and (tmp_path / "tiles_16" / "masks" / "DJI_0002_00007.png").is_file()
    os.utime(tile, ns=(1, 1))
    ds = DroneSegmentation(tmp_path, intensities=(1.0, 0.25), tile=16)
    assert tile.stat().st_mtime_ns == 1  # second open reads the cache, cuts nothing
    assert len(ds) == 8 and ds.names[4] == "raw_scale025/DJI_0001_00000"
    # A new frame at that intensity: its tiles are cut again.
    frame = tmp_path / "images_full" / "raw_scale025" / "DJI_0002.tif"
    new = np.full((48, 64), 4096 + 16, np.uint16)
    tifffile.imwrite(frame, new)
    ds = DroneSegmentation(tmp_path, intensities=(0.25,), tile=16)
    assert tile.stat().st_mtime_ns != 1
    assert float(ds[2]["raw"].max()) == pytest.approx((4096 + 16) / 65535)


def test_synthetic_layout_of_single_tiles_is_balanced_over_the_dataset(tmp_path):
    # What `synthesize` writes for drone: images/ + masks/, one tile per frame.
    cars = {f"tile_{i}": ([(0, 8, 0, 8)] if i < 3 else []) for i in range(8)}
    write_drone(tmp_path, cars, h=16, w=16, images_dir="images", masks_dir="masks")
    ds = DroneClassification(tmp_path, tile=16)
    assert ds.balance_used == "dataset"
    assert ds.targets.count(0) == 3 and ds.targets.count(1) == 3
    assert {g for g, t in zip(ds.groups, ds.targets) if t == 0} == {"tile_0_00000", "tile_1_00000", "tile_2_00000"}
    with pytest.raises(UserError, match="no DroneClassification tiles"):
        DroneClassification(tmp_path, tile=16, balance="frame")
    assert len(DroneSegmentation(tmp_path, tile=16)) == 3


def test_masks_pair_by_name_and_bad_input_is_named(tmp_path):
    write_drone(tmp_path, CARS)
    m = tmp_path / "masks_full" / "DJI_0002.png"
    m.rename(tmp_path / "masks_full" / "DJI_0002_mask.png")
    assert len(DroneSegmentation(tmp_path, tile=16)) == 4
    (tmp_path / "masks_full" / "DJI_0002_mask.png").unlink()
    with pytest.raises(UserError, match=r"frame 'DJI_0002' has no mask in .*masks_full; expected DJI_0002.png"):
        DroneSegmentation(tmp_path, tile=16)


def test_frame_of_wrong_size_or_dtype_is_named(tmp_path):
    write_drone(tmp_path, CARS)
    f = tmp_path / "images_full" / "raw_scale100" / "DJI_0001.tif"
    tifffile.imwrite(f, np.zeros((48, 62), np.uint16))
    with pytest.raises(UserError, match=r"DJI_0001.tif is 48x62; expected 48x64"):
        DroneSegmentation(tmp_path, tile=16)
    tifffile.imwrite(f, np.zeros((48, 64), np.float32))
    with pytest.raises(UserError, match=r"uint16 raw TIFF in .*DJI_0001.tif, got float32"):
        DroneSegmentation(tmp_path, tile=16)


def test_missing_folders_are_named(tmp_path):
    write_drone(tmp_path, CARS)
    import shutil
    shutil.rmtree(tmp_path / "masks_full")
    with pytest.raises(UserError, match="not a drone dataset: expected folders images_full/ \\+ masks_full/ or images/ \\+ masks/"):
        DroneClassification(tmp_path, tile=16)
