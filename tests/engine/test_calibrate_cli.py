"""The EMVA round trip through the command line: frames written by `capture` measure the device back."""

import json

import pytest

from physical.devices import get_device
from tests.engine.cli_runner import assert_user_error, run_cli
from tests.engine.scene_files import write_flats
from tests.physical.flat_fields import flat_levels


@pytest.mark.parametrize("name", ["drone-l1d-20c", "microscope-pco-edge-5.5"])
def test_calibrate_gives_back_the_device(tmp_path, name):
    device = get_device(name)
    write_flats(tmp_path / "flat_scenes", flat_levels(device, n_linear=14, n_top=12), size=192)
    write_flats(tmp_path / "dark_scenes", [0.0], size=192, name="dark")
    for kind, seed in [("flat", 1), ("dark", 2)]:
        r = run_cli("capture", "--scenes", tmp_path / f"{kind}_scenes", "--device", name, "--seed", seed, "--out", tmp_path / kind, "-q")
        assert r.code == 0, r.err
    plot = tmp_path / "ptc.png"
    r = run_cli("calibrate", "--flats", tmp_path / "flat", "--darks", tmp_path / "dark", "--json", "--plot", plot)
    assert r.code == 0, r.err
    result = json.loads(r.out)
    assert result["left_shift"] == device.left_shift and result["cfa_pattern"] == "RGGB"
    for channel in ["R", "Gr", "Gb", "B", "all"]:
        ch = result["channels"][channel]
        assert ch["gain_dn_per_e"] == pytest.approx(device.stored_gain_dn_per_e, rel=0.02), channel
        assert ch["dark_noise_e"] == pytest.approx(device.sensor.read_noise_e, rel=0.02), channel
        assert ch["quantum_efficiency"] == pytest.approx(device.sensor.quantum_efficiency[1], rel=0.03)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the table form names every figure
    table = run_cli("calibrate", "--flats", tmp_path / "flat", "--darks", tmp_path / "dark")
    assert table.code == 0 and "PRNU1288" in table.out and "linearity error" in table.out


def test_calibrate_bad_input(tmp_path):
    write_flats(tmp_path / "s", [0.1, 0.2], size=8)
    r = run_cli("capture", "--scenes", tmp_path / "s", "--device", "drone-l1d-20c", "--out", tmp_path / "f", "-q")
    assert r.code == 0
    (tmp_path / "f/images/raw_scale100/flat_001b.tiff").unlink()
    assert_user_error(run_cli("calibrate", "--flats", tmp_path / "f", "--darks", tmp_path / "f"), "even number of flat frames")
    assert_user_error(run_cli("calibrate", "--flats", tmp_path / "nope", "--darks", tmp_path / "f"), "not a folder")
    assert_user_error(run_cli("calibrate", "--flats", tmp_path / "f", "--darks", tmp_path / "f", "--cfa", "XYZW"), "unknown CFA pattern")
