import json

import numpy as np
import pytest
import tifffile

from tests.engine.cli_runner import assert_user_error, run_cli
from tests.engine.scene_files import write_scenes


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_capture_writes_the_published_layout(tmp_path):
    write_scenes(tmp_path / "scenes", n=2)
    out = tmp_path / "out"
    r = run_cli("capture", "--scenes", tmp_path / "scenes", "--device", "drone-l1d-20c", "--intensities", "0.05,1.0", "--seed", 3, "--out", out, "--quiet")
    assert r.code == 0, r.err
    assert _files(out) == [
        "images/raw_scale005/scene_00.tiff",
        "images/raw_scale005/scene_01.tiff",
        "images/raw_scale100/scene_00.tiff",
        "images/raw_scale100/scene_01.tiff",
        "manifest.json",
    ]
    raw = tifffile.imread(out / "images/raw_scale100/scene_00.tiff")
    assert raw.dtype == np.uint16 and raw.shape == (16, 16)
    assert (raw % 16 == 0).all()  # 12 bits left-justified in 16
    dim = tifffile.imread(out / "images/raw_scale005/scene_00.tiff")
    assert dim.mean() < raw.mean()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["device"]["name"] == "drone-l1d-20c"
    assert manifest["raw_meta"]["black_level_dn"] == 4096 and "torch" in manifest["versions"]


def test_same_seed_byte_identical_different_seed_not(tmp_path):
    write_scenes(tmp_path / "scenes", n=2)
    outs = {}
    for name, seed in [("a", 1), ("b", 1), ("c", 2)]:
        r = run_cli("capture", "--scenes", tmp_path / "scenes", "--device", "microscope-pco-edge-5.5", "--intensities", "all", "--seed", seed, "--out", tmp_path / name, "-q")
        assert r.code == 0, r.err
        outs[name] = {f: (tmp_path / name / f).read_bytes() for f in _files(tmp_path / name) if f.endswith(".tiff")}
    assert len(outs["a"]) == 14
    assert outs["a"] == outs["b"]
    assert all(outs["a"][f] != outs["c"][f] for f in outs["a"])


def test_device_file(tmp_path):
    write_scenes(tmp_path / "scenes", n=1)
    dev = tmp_path / "mine.toml"
    dev.write_text('base = "drone-l1d-20c"\nname = "quiet-drone"\n[sensor]\nread_noise_e = 0.5\n[adc]\nblack_level_dn = 128.0\n')
    r = run_cli("capture", "--scenes", tmp_path / "scenes", "--device", dev, "--out", tmp_path / "out", "-q")
    assert r.code == 0, r.err
    m = json.loads((tmp_path / "out/manifest.json").read_text())
    assert m["device"]["name"] == "quiet-drone" and m["raw_meta"]["black_level_dn"] == 128 * 16
    bad = tmp_path / "bad.toml"
    bad.write_text('base = "drone-l1d-20c"\n[sensor]\nreadnoise = 1\n')
    assert_user_error(run_cli("capture", "--scenes", tmp_path / "scenes", "--device", bad, "--out", tmp_path / "o2"), "unknown device field 'sensor.readnoise'")
    assert not (tmp_path / "o2").exists()


def _scene(tmp_path, array):
    folder = tmp_path / "bad_scenes"
    folder.mkdir(exist_ok=True)
    write_scenes(folder, n=1)  # a good one first: nothing may be written for it either
    tifffile.imwrite(folder / "zz_bad.tiff", array)
    return folder


@pytest.mark.parametrize(
    "array,fragment",
    [
        (np.full((8, 8, 3), np.nan, np.float32), "NaN"),
        (np.full((8, 8, 3), -0.5, np.float32), "negative"),
        (np.zeros((8, 8), np.float32), "H×W×3"),
        (np.zeros((8, 8, 4), np.float32), "H×W×3"),
        (np.zeros((8, 8, 3), np.uint16), "float32"),
        (np.zeros((7, 8, 3), np.float32), "even height and width"),
    ],
)
def test_bad_scenes_fail_cleanly_and_write_nothing(tmp_path, array, fragment):
    folder = _scene(tmp_path, array)
    out = tmp_path / "out"
    r = run_cli("capture", "--scenes", folder, "--device", "drone-l1d-20c", "--out", out)
    assert_user_error(r, fragment, "zz_bad.tiff")
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no staging left behind


def test_unreadable_tiff(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "broken.tiff").write_bytes(b"II*\x00garbage")
    assert_user_error(run_cli("capture", "--scenes", folder, "--device", "drone-l1d-20c", "--out", tmp_path / "o"), "cannot read TIFF")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("value", ["0", "1.5", "-0.1", "abc", "0.333"])
def test_bad_intensity(tmp_path, value):
    write_scenes(tmp_path / "scenes", n=1)
    r = run_cli("capture", "--scenes", tmp_path / "scenes", "--device", "drone-l1d-20c", "--intensities", value, "--out", tmp_path / "o")
    assert_user_error(r)
    assert not (tmp_path / "o").exists()


def test_unknown_device_and_missing_folder(tmp_path):
    write_scenes(tmp_path / "scenes", n=1)
    assert_user_error(run_cli("capture", "--scenes", tmp_path / "scenes", "--device", "nikon", "--out", tmp_path / "o"), "microscope-pco-edge-5.5", "drone-l1d-20c")
    assert_user_error(run_cli("capture", "--scenes", tmp_path / "nope", "--device", "drone-l1d-20c", "--out", tmp_path / "o"), "not a folder")
    assert_user_error(run_cli("capture", "--device", "drone-l1d-20c", "--out", tmp_path / "o"), "--scenes")


def test_devices_command():
    r = run_cli("devices")
    assert r.code == 0 and "microscope-pco-edge-5.5" in r.out and "7,271" in r.out
    r = run_cli("devices", "--json")
    data = json.loads(r.out)
    assert data["drone-l1d-20c"]["adc"]["gain_dn_per_e"] == 0.528
