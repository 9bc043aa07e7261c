import json

import numpy as np
import pytest
import tifffile

from tests.engine.cli_runner import assert_user_error, run_cli
from tests.engine.scene_files import write_flats


def test_reexpose_matches_capture_at_that_intensity(tmp_path):
    write_flats(tmp_path / "s", [0.6], size=128)
    for name, intens in [("measured", "1.0"), ("direct", "0.1")]:
        r = run_cli("capture", "--scenes", tmp_path / "s", "--device", "drone-l1d-20c", "--intensities", intens, "--seed", 4, "--out", tmp_path / name, "-q")
        assert r.code == 0, r.err
    r = run_cli("reexpose", "--raw", tmp_path / "measured", "--device", "drone-l1d-20c", "--ratios", "0.1,0.5", "--seed", 5, "--out", tmp_path / "re", "-q")
    assert r.code == 0, r.err
    re = tifffile.imread(tmp_path / "re/images/raw_scale010/flat_000a.tiff").astype(np.float64)
    direct = tifffile.imread(tmp_path / "direct/images/raw_scale010/flat_000a.tiff").astype(np.float64)
    assert re.mean() == pytest.approx(direct.mean(), rel=0.02)
    assert re.var() == pytest.approx(direct.var(), rel=0.05)
    assert (tmp_path / "re/images/raw_scale050/flat_000b.tiff").is_file()
    m = json.loads((tmp_path / "re/manifest.json").read_text())
    assert m["kind"] == "reexpose" and m["saturated_pixels"] == 0
    again = run_cli("reexpose", "--raw", tmp_path / "measured", "--device", "drone-l1d-20c", "--ratios", "0.1", "--seed", 5, "--out", tmp_path / "re2", "-q")
    assert again.code == 0
    assert (tmp_path / "re2/images/raw_scale010/flat_000a.tiff").read_bytes() == (tmp_path / "re/images/raw_scale010/flat_000a.tiff").read_bytes()


def test_saturation_is_reported(tmp_path):
    write_flats(tmp_path / "s", [3.0], size=16)
    run_cli("capture", "--scenes", tmp_path / "s", "--device", "microscope-pco-edge-5.5", "--out", tmp_path / "m", "-q")
    r = run_cli("reexpose", "--raw", tmp_path / "m", "--device", "microscope-pco-edge-5.5", "--ratios", "0.5", "--out", tmp_path / "re", "-q")
    assert r.code == 0
    assert "warning: 512 saturated pixels in 2 frames" in r.err


def test_reexpose_bad_input(tmp_path):
    folder = tmp_path / "raws"
    folder.mkdir()
    tifffile.imwrite(folder / "x.tiff", np.zeros((8, 8), np.float32))
    assert_user_error(run_cli("reexpose", "--raw", folder, "--device", "drone-l1d-20c", "--out", tmp_path / "o"), "uint16", "x.tiff")
    tifffile.imwrite(folder / "x.tiff", np.full((8, 8), 65535, np.uint16))
    assert_user_error(run_cli("reexpose", "--raw", folder, "--device", "drone-l1d-20c", "--out", tmp_path / "o"), "above the 65520")
    assert not (tmp_path / "o").exists()


def test_a_manifest_above_the_named_folder_is_not_used(tmp_path):
    # an unrelated manifest in a parent folder must not set the black level of a flat folder of raws
    (tmp_path / "manifest.json").write_text(json.dumps({"raw_meta": {"black_level_dn": 60000.0}}))
    folder = tmp_path / "raws"
    folder.mkdir()
    tifffile.imwrite(folder / "x.tiff", np.full((8, 8), 4096 + 16 * 500, np.uint16))
    r = run_cli("reexpose", "--raw", folder, "--device", "drone-l1d-20c", "--ratios", "0.5", "--out", tmp_path / "o", "-q")
    assert r.code == 0, r.err
    out = tifffile.imread(tmp_path / "o/images/raw_scale050/x.tiff").astype(float)
    assert out.mean() == pytest.approx(4096 + 16 * 250, rel=0.02)  # the device's own black level, 4096
