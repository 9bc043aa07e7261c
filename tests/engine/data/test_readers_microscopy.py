"""The microscopy reader on tiny datasets in the published layout and on a dataset written by `capture`."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
import torch

from engine.data import MicroscopyDataset, open_reader
from engine.errors import UserError
from physical.devices import get_device
from tests.engine.cli_runner import run_cli
from tests.engine.data.conftest import micro_image, write_microscopy


def test_classes_counts_and_dropped_class(tmp_path):
    write_microscopy(tmp_path, intensities=(1.0, 0.05, 0.5))
    ds = MicroscopyDataset(tmp_path, intensities=(0.05, 1.0))
    assert ds.classes == ("LYT", "NGS")  # BAS has only 4 images
    assert ds.dropped_classes == {"BAS": 4}
    assert ds.intensities == (0.05, 1.0)
    assert ds.counts() == {0.05: {"LYT": 6, "NGS": 5}, 1.0: {"LYT": 6, "NGS": 5}}
    assert len(ds) == 22
    assert sorted(set(ds.targets)) == [0, 1] and ds.targets.count(0) == 12
    # All intensities present when asked for none in particular.
    assert MicroscopyDataset(tmp_path, intensities=None).intensities == (0.05, 0.5, 1.0)


def test_items_are_raw_in_unit_range_with_camera_parameters(tmp_path):
    entries = write_microscopy(tmp_path, intensities=(0.05,))
    ds = MicroscopyDataset(tmp_path, intensities=0.05)
    item = ds[0]
    name = ds.groups[0]
    assert item["raw"].shape == (1, 8, 8) and item["raw"].dtype == torch.float32
    expected = micro_image(name, 0.05).astype(np.float32) / 65535
    np.testing.assert_array_equal(item["raw"][0].numpy(), expected)
    assert 0 <= float(item["raw"].min()) and float(item["raw"].max()) <= 1
    code = dict(entries)[name]
    assert ds.classes[int(item["target"])] == code and item["target"].dtype == torch.int64
    cam = get_device("microscope-pco-edge-5.5").camera
    assert torch.allclose(item["black_level"], torch.tensor(cam.black_level))
    assert torch.allclose(item["colour_matrix"], torch.tensor(cam.colour_matrix).reshape(3, 3))
    assert torch.allclose(item["white_balance"], torch.tensor(cam.white_balance))
    assert float(item["intensity"]) == pytest.approx(0.05)
    assert item["name"] == f"raw_scale005/{name}"
    assert ds.device.name == "microscope-pco-edge-5.5" and ds.cfa_pattern == "RGGB"
    # A DataLoader batches items as they are.
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=4)))
    assert batch["raw"].shape == (4, 1, 8, 8) and batch["colour_matrix"].shape == (4, 3, 3)


def test_known_invalid_files_are_skipped_and_the_list_is_an_option(tmp_path):
    entries = write_microscopy(tmp_path, intensities=(1.0,))
    default = MicroscopyDataset(tmp_path)
    assert default.skipped == []
    victim = entries[0][0]
    ds = MicroscopyDataset(tmp_path, invalid_files=[victim + ".tiff"])
    assert ds.skipped == [victim] and victim not in ds.groups and len(ds) == len(default) - 1
    # The seed's invalid crop is skipped by default when it is labelled.
    (tmp_path / "labels" / "extra.dat").write_text("Ma190c_lame3_zone13_composite_Mcropped_2 LYT\n")
    assert MicroscopyDataset(tmp_path).skipped == ["Ma190c_lame3_zone13_composite_Mcropped_2"]


def test_registry_opens_the_same_reader(tmp_path):
    write_microscopy(tmp_path, intensities=(1.0,))
    assert open_reader("microscopy", tmp_path).classes == ("LYT", "NGS")
    with pytest.raises(ValueError, match="unknown dataset reader 'mnist'; expected one of: drone-classification"):
        open_reader("mnist", tmp_path)


def test_dataset_written_by_capture_opens_with_its_own_black_level(tmp_path):
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    rng = np.random.default_rng(0)
    names = [f"cell{i}" for i in range(10)]
    for n in names:
        tifffile.imwrite(scenes / f"{n}.tiff", rng.uniform(0.2, 0.9, (16, 16, 3)).astype(np.float32), photometric="rgb")
    out = tmp_path / "synthetic"
    r = run_cli("capture", "--scenes", scenes, "--device", "microscope-pco-edge-5.5", "--intensities", "0.25,1.0",
                "--seed", "3", "--out", out, "--quiet")
    assert r.code == 0, r.err
    (out / "labels").mkdir()
    (out / "labels" / "annotations.dat").write_text("".join(f"{n} {'LYT' if i < 5 else 'MON'}\n" for i, n in enumerate(names)))
    ds = MicroscopyDataset(out, intensities=(0.25, 1.0))
    assert ds.classes == ("LYT", "MON") and len(ds) == 20
    assert ds.shape == (16, 16)
    item = ds[0]
    assert torch.allclose(item["black_level"], torch.full((4,), 100 / 65535))  # the simulator's 100 DN offset
    assert torch.allclose(item["white_balance"], torch.tensor(get_device("microscope-pco-edge-5.5").camera.white_balance))
    # Brighter intensity, higher signal: the reader keeps the levels apart.
    dim = torch.stack([ds[i]["raw"].mean() for i in range(10)]).mean()
    bright = torch.stack([ds[i]["raw"].mean() for i in range(10, 20)]).mean()
    assert bright > 2.5 * dim


# --- bad input ---------------------------------------------------------------------------------------------

def test_malformed_label_line_names_file_and_line(tmp_path):
    write_microscopy(tmp_path, intensities=(1.0,))
    f = tmp_path / "labels" / "Ma190c_annotations.dat"
    lines = f.read_text().splitlines()
    lines.insert(3, "Ma190c_x LYT extra")
    f.write_text("\n".join(lines) + "\n")
    with pytest.raises(UserError, match=r"Ma190c_annotations\.dat:4: expected '<image name> <CLASS CODE>'"):
        MicroscopyDataset(tmp_path)


def test_unknown_code_and_duplicate_label(tmp_path):
    write_microscopy(tmp_path, intensities=(1.0,))
    (tmp_path / "labels" / "more.dat").write_text("\nMa190c_new XYZ\n")
    with pytest.raises(UserError, match=r"more\.dat:2: unknown class code 'XYZ'"):
        MicroscopyDataset(tmp_path)
    (tmp_path / "labels" / "more.dat").write_text("Ma190c_LYT_0 LYT\n")
    with pytest.raises(UserError, match=r"more\.dat:1: image 'Ma190c_LYT_0' is labelled again \(first at .*Ma190c_annotations\.dat:1\)"):
        MicroscopyDataset(tmp_path)


@pytest.mark.parametrize("bad, message", [
    (np.zeros((8, 8), np.uint8), "expected a uint16 raw TIFF in .*Ma190c_LYT_2.tiff, got uint8"),
    (np.zeros((8, 8), np.float32), "expected a uint16 raw TIFF in .*Ma190c_LYT_2.tiff, got float32"),
    (np.zeros((8, 10), np.uint16), r"Ma190c_LYT_2.tiff is 8x10; expected 8x8"),
    (np.zeros((8, 8, 3), np.uint16), r"shape HxW in .*Ma190c_LYT_2.tiff"),
])
def test_tiff_of_wrong_dtype_or_size_is_named(tmp_path, bad, message):
    write_microscopy(tmp_path, intensities=(1.0,))
    tifffile.imwrite(tmp_path / "images" / "raw_scale100" / "Ma190c_LYT_2.tiff", bad)
    with pytest.raises(UserError, match=message):
        MicroscopyDataset(tmp_path)


def test_missing_folders_images_and_intensities(tmp_path):
    with pytest.raises(UserError, match="no dataset folder"):
        MicroscopyDataset(tmp_path / "nothing")
    write_microscopy(tmp_path, intensities=(1.0,))
    with pytest.raises(UserError, match=r"no intensity 0.5 .*raw_scale050/ is missing\); present: 1"):
        MicroscopyDataset(tmp_path, intensities=0.5)
    (tmp_path / "images" / "raw_scale100" / "Ma190c_NGS_1.tiff").unlink()
    with pytest.raises(UserError, match=r"Ma190c_annotations\.dat:8: image 'Ma190c_NGS_1' is missing from"):
        MicroscopyDataset(tmp_path)
    import shutil
    shutil.rmtree(tmp_path / "labels")
    with pytest.raises(UserError, match=r"not a microscopy dataset: folder\(s\) labels/ missing"):
        MicroscopyDataset(tmp_path)
