"""`dataengine data ...` as a user runs it: messages, exit codes, nothing written on errors."""

from __future__ import annotations

import json

import numpy as np
import tifffile

from engine.data.b2_fetch import KEY_ENV, KEY_ID_ENV
from tests.engine.cli_runner import assert_user_error, run_cli
from tests.engine.data.conftest import write_drone, write_microscopy


def test_fetch_unknown_dataset_and_missing_credentials(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ID_ENV, raising=False)
    monkeypatch.delenv(KEY_ENV, raising=False)
    assert_user_error(run_cli("data", "fetch", "cells", "--root", tmp_path), "unknown dataset 'cells'", "drone, microscopy")
    r = run_cli("data", "fetch", "microscopy", "--root", tmp_path)
    assert_user_error(r, KEY_ID_ENV, KEY_ENV)
    assert list(tmp_path.iterdir()) == []


def test_data_without_action_is_a_user_error():
    assert_user_error(run_cli("data"), "expected an action")


def test_import_info_and_verify(tmp_path, monkeypatch):
    src = tmp_path / "copy"
    write_microscopy(src, intensities=(1.0, 0.05))
    write_drone(tmp_path / "dcopy", {"DJI_0001": [(0, 16, 0, 16)]})
    monkeypatch.setenv("DATAENGINE_DATA", str(tmp_path / "root"))
    r = run_cli("data", "import", src, "--dataset", "microscopy", "--quiet")
    assert r.code == 0, r.err
    assert run_cli("data", "import", tmp_path / "dcopy", "--dataset", "drone", "--quiet").code == 0
    r = run_cli("data", "info")
    assert r.code == 0, r.err
    assert "2 classes, images 8x8" in r.out and "dropped (<= 4 images): BAS (4)" in r.out
    assert "raw_scale005      11     6    5" in r.out
    assert "tiles: not built yet" in r.out
    r = run_cli("data", "info", "--json")
    info = json.loads(r.out)
    assert info[0]["per_intensity"]["raw_scale100"] == {"LYT": 6, "NGS": 5}
    assert info[1]["frames"] == {"raw_scale100": 1} and info[1]["masks"] == 1
    r = run_cli("data", "verify")
    assert r.code == 0 and "microscopy: 31 files checked, 0 missing or corrupt" in r.out
    f = tmp_path / "root" / "microscopy" / "labels" / "Ma190c_annotations.dat"
    f.write_text(f.read_text().replace("LYT", "NGS", 1))
    r = run_cli("data", "verify", "--dataset", "microscopy")
    assert r.code == 1 and "corrupt: microscopy/labels/Ma190c_annotations.dat" in r.out
    r = run_cli("data", "verify", "--dataset", "microscopy", "--repair")
    assert r.code == 0 and "repaired: microscopy/labels/Ma190c_annotations.dat" in r.out


def test_info_reports_bad_input_as_one_error_line(tmp_path):
    write_microscopy(tmp_path / "m", intensities=(1.0,))
    label = tmp_path / "m" / "labels" / "Ma190c_annotations.dat"
    label.write_text(label.read_text() + "just-one-field\n")
    assert_user_error(run_cli("data", "info", tmp_path / "m"), "Ma190c_annotations.dat:16:", "expected '<image name> <CLASS CODE>'")
    write_microscopy(tmp_path / "m2", intensities=(1.0,))
    tifffile.imwrite(tmp_path / "m2" / "images" / "raw_scale100" / "Ma190c_NGS_0.tiff", np.zeros((8, 8), np.uint8))
    assert_user_error(run_cli("data", "info", tmp_path / "m2"), "Ma190c_NGS_0.tiff", "uint16")
    assert_user_error(run_cli("data", "info", tmp_path / "nothing"), "no dataset folder")
    assert_user_error(run_cli("data", "verify", "--root", tmp_path / "empty"), "no fetched or imported datasets")
    (tmp_path / "odd").mkdir()
    assert_user_error(run_cli("data", "info", tmp_path / "odd"), "has no dataset layout")


def test_quiet_before_the_action_silences_output(tmp_path):
    write_microscopy(tmp_path / "copy", intensities=(1.0,))
    for args in (["--quiet", "data", "import"], ["data", "--quiet", "import"], ["data", "import", "-q"]):
        r = run_cli(*args, tmp_path / "copy", "--dataset", "microscopy", "--root", tmp_path / "root")
        assert r.code == 0 and r.out == "" and r.err == "", (args, r)
    r = run_cli("data", "import", tmp_path / "copy", "--dataset", "microscopy", "--root", tmp_path / "root")
    assert "0 unchanged" not in r.out and "16 unchanged" in r.out
