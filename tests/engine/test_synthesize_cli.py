"""`dataengine synthesize`: the published layout, every file in place, readers open it, seeds, bad input."""

import json

import numpy as np
import pytest
import tifffile
from PIL import Image

from tests.engine.cli_runner import assert_user_error, run_cli

VIEWS = "bilinear+sharpening_filter+gaussian_denoising,menon2007+unsharp_masking+median_denoising"


@pytest.fixture(autouse=True)
def lablog_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("DATAENGINE_LABLOG", str(tmp_path / "lab" / "lablog.duckdb"))


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "manifest.json"}


def test_microscopy_dataset_layout_and_reader(tmp_path):
    out = tmp_path / "ds"
    r = run_cli("synthesize", "--domain", "microscopy", "-n", 5, "--label", "LYT", "--procedural", "--size", 32,
                "--intensities", "0.25,1.0", "--views", VIEWS, "--seed", 3, "--out", out, "-q")
    assert r.code == 0, r.err
    names = [f"smear_{i:05d}" for i in range(5)]
    expected = {f"images/{s}/{n}.tiff" for s in ("raw_scale025", "raw_scale100") for n in names}
    expected |= {f"views/{v}/raw_scale100/{n}.png" for v in VIEWS.split(",") for n in names}
    expected |= {f"scenes/{n}.tiff" for n in names} | {"labels/annotations.dat", "contact_sheet.png"}
    assert set(_files(out)) == expected
    assert (out / "labels" / "annotations.dat").read_text().splitlines() == [f"{n} LYT" for n in names]
    raw = tifffile.imread(out / "images" / "raw_scale100" / "smear_00000.tiff")
    dim = tifffile.imread(out / "images" / "raw_scale025" / "smear_00000.tiff")
    assert raw.dtype == np.uint16 and raw.shape == (32, 32)
    # a quarter of the light: the dark-subtracted signal scales with the intensity ratio
    manifest = json.loads((out / "manifest.json").read_text())
    black = manifest["raw_meta"]["black_level_dn"]
    ratio = (dim.astype(float).mean() - black) / (raw.astype(float).mean() - black)
    assert 0.2 < ratio < 0.3
    view = np.asarray(Image.open(out / "views" / VIEWS.split(",")[0] / "raw_scale100" / "smear_00000.png"))
    assert view.shape == (32, 32, 3) and view.dtype == np.uint8
    assert set(manifest["stage_seconds"]) == {"generate", "capture", "views", "write"}
    # the dataset readers open it like a published copy
    from engine.data.readers import open_reader

    ds = open_reader("microscopy", out, intensities=(0.25, 1.0))
    assert len(ds) == 10 and ds.classes == ("LYT",)
    item = ds[0]
    assert item["raw"].shape == (1, 32, 32)
    # recorded in the lab log
    import lablog

    log = lablog.LabLog(tmp_path / "lab" / "lablog.duckdb", create=False)
    runs = log.runs(experiment="synthesize")
    log.close()
    assert len(runs) == 1 and runs[0]["status"] == "finished"


def test_same_seed_same_files(tmp_path):
    args = ("synthesize", "--domain", "drone", "-n", 2, "--procedural", "--size", 32, "--intensities", "0.5,1.0",
            "--views", "none", "--no-lablog", "-q")
    assert run_cli(*args, "--seed", 9, "--out", tmp_path / "a").code == 0
    assert run_cli(*args, "--seed", 9, "--out", tmp_path / "b").code == 0
    fa = _files(tmp_path / "a")
    assert fa == _files(tmp_path / "b")
    assert "masks/tile_00001.png" in fa and "images/raw_scale050/tile_00001.tiff" in fa
    r = run_cli(*args, "--seed", 10, "--out", tmp_path / "c")
    assert r.code == 0 and _files(tmp_path / "c") != fa


def test_drone_from_a_model_opens_with_the_segmentation_reader(tmp_path):
    ck = tmp_path / "ck"
    assert run_cli("semantic", "train", "--domain", "drone", "--size", 16, "--channels", "8,16", "--steps", 1,
                   "--batch-size", 2, "--out", ck, "--no-lablog", "-q").code == 0
    out = tmp_path / "ds"
    r = run_cli("synthesize", "--domain", "drone", "-n", 2, "--checkpoint", ck, "--steps", 2, "--size", 32,
                "--intensities", "1.0", "--views", "none", "--out", out, "--no-lablog", "-q")
    assert r.code == 0, r.err
    masks = [np.asarray(Image.open(out / "masks" / f"tile_0000{i}.png")) for i in range(2)]
    assert all(m.shape == (32, 32) for m in masks)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenes"]["source"] == "diffusion" and manifest["device"]["name"] == "drone-l1d-20c"
    if any(m.any() for m in masks):  # an untrained model may draw no car; the reader needs tiles with cars
        from engine.data.readers import open_reader

        ds = open_reader("drone-segmentation", out, intensities=(1.0,), tile=32)
        assert len(ds) >= 1


@pytest.mark.parametrize(
    "args, fragments",
    [
        (("--domain", "microscopy", "-n", 1, "--procedural", "--device", "nikon-d850"), ("unknown device", "drone-l1d-20c")),
        (("--domain", "microscopy", "-n", 1, "--procedural", "--views", "bilinear"), ("unknown view 'bilinear'",)),
        (("--domain", "microscopy", "-n", 1, "--procedural", "--intensities", "0.3,2"), ("intensity ratio in (0, 1]",)),
        (("--domain", "microscopy", "-n", -1, "--procedural"), ("-n > 0",)),
        (("--domain", "sky", "-n", 1), ("unknown domain 'sky'",)),
        (("--domain", "microscopy", "-n", 1, "--label", "ABC"), ("unknown class 'ABC'",)),
        (("--domain", "drone", "-n", 1, "--checkpoint", "/no/such/ckpt"), ("no checkpoint folder",)),
    ],
)
def test_bad_input_writes_nothing(tmp_path, args, fragments):
    r = run_cli("synthesize", *args, "--size", 16, "--out", tmp_path / "o", "--no-lablog")
    assert_user_error(r, *fragments)
    assert not (tmp_path / "o").exists()


def test_synthesize_with_the_default_model(tmp_path):
    out = tmp_path / "ds"
    r = run_cli("synthesize", "--domain", "drone", "-n", 1, "--steps", 2, "--size", 32, "--intensities", "0.1,1.0",
                "--views", "bilinear+sharpening_filter+gaussian_denoising", "--out", out, "-q")
    assert r.code == 0, r.err
    assert set(_files(out)) == {"images/raw_scale010/tile_00000.tiff", "images/raw_scale100/tile_00000.tiff",
                                "masks/tile_00000.png", "scenes/tile_00000.tiff", "contact_sheet.png",
                                "views/bilinear+sharpening_filter+gaussian_denoising/raw_scale100/tile_00000.png"}
