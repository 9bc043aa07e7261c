"""`dataengine views`: end to end from `dataengine capture` output, flat folders, formats, bad input."""

import json

import numpy as np
import pytest
import tifffile
import torch
from PIL import Image

from engine.view_files import to_uint8
from physical.devices import get_device
from physical.isp.camera import IspCamera
from physical.isp.views import VIEWS, render_views
from tests.engine.cli_runner import assert_user_error, run_cli

DEVICE = "microscope-pco-edge-5.5"


@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    """A tiny dataset made by the real capture command: 2 scenes × 2 intensities, 16×16."""
    root = tmp_path_factory.mktemp("capture")
    scenes = root / "scenes"
    scenes.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        tifffile.imwrite(scenes / f"{name}.tiff", rng.uniform(0.2, 0.9, (16, 16, 3)).astype(np.float32), photometric="rgb")
    result = run_cli("capture", "--scenes", scenes, "--device", DEVICE, "--intensities", "1.0,0.5",
                     "--out", root / "data", "--quiet")
    assert result.code == 0, result.err
    return root / "data"


def test_list_prints_the_twelve_names():
    result = run_cli("views", "--list")
    assert result.code == 0 and result.out.split() == VIEWS.names()


def test_views_of_a_capture_use_its_black_level(captured, tmp_path):
    out = tmp_path / "views"
    result = run_cli("views", "--raw", captured, "--device", DEVICE, "--out", out, "--quiet")
    assert result.code == 0, result.err
    frames = sorted(p.relative_to(captured) for p in (captured / "images").rglob("*.tiff"))
    assert len(frames) == 4
    for name in VIEWS.names():
        for rel in frames:
            assert (out / "views" / name / rel.with_suffix(".png")).is_file()
    # The pixels are the ISP's: the simulator's 100 DN black level (from the capture manifest), not the seed's.
    meta = json.loads((captured / "manifest.json").read_text())["raw_meta"]
    camera = IspCamera.from_device(get_device(DEVICE), black_level=meta["black_level_dn"] / 65535)
    rel = frames[0]
    raw = torch.from_numpy(tifffile.imread(captured / rel).astype(np.float32))[None, None] / 65535
    view = "menon2007+unsharp_masking+median_denoising"
    expected = to_uint8(render_views(raw, [view], camera)[view][0])
    np.testing.assert_array_equal(np.asarray(Image.open(out / "views" / view / rel.with_suffix(".png"))), expected)
    manifest = json.loads((out / "manifest.json").read_text())
    assert all("capture manifest" in s for s in manifest["black_level_sources"].values())
    sheet = Image.open(out / "contact_sheet.png")
    assert sheet.format == "PNG" and sheet.size[0] > sheet.size[1] > 200  # 2 intensities × 12 views


def test_raw_pointing_inside_a_capture_still_finds_its_manifest(captured, tmp_path):
    out = tmp_path / "views"
    view = "bilinear+unsharp_masking+gaussian_denoising"
    result = run_cli("views", "--raw", captured / "images" / "raw_scale050", "--device", DEVICE, "--views", view,
                     "--out", out, "--quiet")
    assert result.code == 0, result.err
    assert sorted(p.name for p in (out / "views" / view).iterdir()) == ["a.png", "b.png"]
    sources = json.loads((out / "manifest.json").read_text())["black_level_sources"]
    assert sources == {".": f"capture manifest {(captured / 'manifest.json').resolve()}"}


def test_flat_folder_subset_and_tiff16(tmp_path):
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    rng = np.random.default_rng(1)
    for name in ("x", "y"):
        tifffile.imwrite(raw_dir / f"{name}.tif", rng.integers(4096, 40000, (12, 16), dtype=np.uint16))
    views = "bilinear+sharpening_filter+gaussian_denoising,menon2007+sharpening_filter+median_denoising"
    out = tmp_path / "out"
    result = run_cli("views", "--raw", raw_dir, "--device", "drone-l1d-20c", "--views", views, "--format", "tiff16",
                     "--out", out, "--quiet", "--batch", "1")
    assert result.code == 0, result.err
    assert sorted(p.name for p in (out / "views").iterdir()) == sorted(views.split(","))
    a = tifffile.imread(out / "views" / views.split(",")[0] / "x.tiff")
    assert a.dtype == np.uint16 and a.shape == (12, 16, 3)
    # no manifest: the drone's published-data black level (the seed's camera parameters)
    raw = torch.from_numpy(tifffile.imread(raw_dir / "x.tif").astype(np.float32))[None, None] / 65535
    ref = render_views(raw, [views.split(",")[0]], IspCamera.from_device(get_device("drone-l1d-20c")))
    expected = (ref[views.split(",")[0]][0].double().clamp(0, 1) * 65535).round().permute(1, 2, 0).numpy()
    np.testing.assert_array_equal(a, expected.astype(np.uint16))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["black_level_sources"] == {".": "device drone-l1d-20c camera.black_level"}
    assert (out / "contact_sheet.png").is_file()


def _bad(tmp_path, array, name="bad.tiff", **kw):
    folder = tmp_path / "raw"
    folder.mkdir(exist_ok=True)
    tifffile.imwrite(folder / name, array, **kw)
    return folder


@pytest.mark.parametrize(
    "make, fragments",
    [
        (lambda p: _bad(p, np.zeros((16, 16), np.float32)), ("expected a uint16 raw TIFF",)),
        (lambda p: _bad(p, np.zeros((16, 16, 3), np.uint16), photometric="rgb"), ("shape H×W",)),
        (lambda p: _bad(p, np.zeros((15, 16), np.uint16)), ("15x16", "even height and width")),
        (lambda p: _bad(p, np.zeros((4, 4), np.uint16)), ("at least 6",)),
    ],
)
def test_bad_raw_files_write_nothing(tmp_path, make, fragments):
    folder = make(tmp_path)
    good = np.full((16, 16), 5000, np.uint16)
    tifffile.imwrite(folder / "a_good.tiff", good)  # sorted first: processed before the bad one
    out = tmp_path / "out"
    assert_user_error(run_cli("views", "--raw", folder, "--device", DEVICE, "--out", out, "--batch", "1"), *fragments)
    assert not out.exists() and not list(tmp_path.glob(".out.partial-*"))


def test_values_above_the_stored_range_of_the_capture(tmp_path):
    folder = _bad(tmp_path, np.full((16, 16), 5000, np.uint16))
    (folder / "manifest.json").write_text(json.dumps({"raw_meta": {"stored_bits": 12, "black_level_dn": 256,
                                                                    "cfa_pattern": "RGGB"}}))
    out = tmp_path / "out"
    assert_user_error(run_cli("views", "--raw", folder, "--device", "drone-l1d-20c", "--out", out),
                      "5000 DN", "stored range 0..4095")
    assert not out.exists()


@pytest.mark.parametrize(
    "extra, fragments",
    [
        (("--views", "bilinear+sharpen+median"), ("unknown view", "menon2007+unsharp_masking+median_denoising")),
        (("--views", "bilinear+sharpening_filter+gaussian_denoising,bilinear+sharpening_filter+gaussian_denoising"),
         ("repeat",)),
        (("--device", "phone"), ("unknown device 'phone'", "drone-l1d-20c")),
        (("--format", "jpeg"), ("invalid choice",)),
        (("--batch", "0"), ("--batch >= 1",)),
    ],
)
def test_bad_flags(tmp_path, extra, fragments):
    folder = _bad(tmp_path, np.full((16, 16), 5000, np.uint16))
    out = tmp_path / "out"
    args = ["views", "--raw", folder, "--device", DEVICE, "--out", out]
    for i in range(0, len(extra), 2):  # later flags override earlier ones
        args += [extra[i], extra[i + 1]]
    assert_user_error(run_cli(*args), *fragments)
    assert not out.exists()


def test_missing_arguments_and_folders(tmp_path):
    assert_user_error(run_cli("views", "--device", DEVICE, "--out", tmp_path / "o"), "--raw")
    assert_user_error(run_cli("views", "--raw", tmp_path / "nope", "--device", DEVICE, "--out", tmp_path / "o"),
                      "not a folder")
    (tmp_path / "empty").mkdir()
    assert_user_error(run_cli("views", "--raw", tmp_path / "empty", "--device", DEVICE, "--out", tmp_path / "o"),
                      "no .tif/.tiff files")
    assert not (tmp_path / "o").exists()
