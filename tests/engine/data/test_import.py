"""Importing a local copy (folder or zip), re-importing, and repairing from it."""

from __future__ import annotations

import zipfile

import pytest

from engine.data import import_local, verify
from engine.data.file_index import load_index
from engine.errors import UserError
from tests.engine.data.conftest import micro_image, tiff_bytes, write_drone, write_microscopy, zip_bytes


def test_import_folder_then_again_copies_nothing(tmp_path):
    src = tmp_path / "zenodo" / "Raw-Microscopy"
    entries = write_microscopy(src, intensities=(1.0, 0.5))
    root = tmp_path / "root"
    r = import_local(tmp_path / "zenodo", "microscopy", root)  # layout found one level down
    assert len(r.copied) == 2 * len(entries) + 1
    dest = root / "microscopy"
    name = entries[0][0]
    assert (dest / "images" / "raw_scale050" / f"{name}.tiff").read_bytes() == (src / "images" / "raw_scale050" / f"{name}.tiff").read_bytes()
    index = load_index(dest)
    assert all(rec.origin == f"import:{tmp_path / 'zenodo'}" for rec in index.files.values())
    r2 = import_local(tmp_path / "zenodo", "microscopy", root)
    assert r2.copied == [] and len(r2.unchanged) == len(r.copied)
    (report,) = verify(root)
    assert report.ok and report.checked == len(r.copied)


def test_import_zip_with_inner_archives_and_repair(tmp_path):
    inner = zip_bytes({f"raw_scale100/cell{i}.tiff": tiff_bytes(micro_image(f"cell{i}", 1.0)) for i in range(5)})
    outer = tmp_path / "download.zip"
    labels = "".join(f"cell{i} LYT\n" for i in range(5))
    with zipfile.ZipFile(outer, "w") as zf:
        zf.writestr("Raw-Microscopy/images/raw_scale100.zip", inner)
        zf.writestr("Raw-Microscopy/labels/Ma190c_annotations.dat", labels)
    root = tmp_path / "root"
    r = import_local(outer, "microscopy", root)
    assert r.unpacked == ["images/raw_scale100.zip"] and r.copied == ["labels/Ma190c_annotations.dat"]
    dest = root / "microscopy"
    assert (dest / "images" / "raw_scale100" / "cell3.tiff").is_file()
    assert not (dest / "images" / "raw_scale100.zip").exists()
    assert not [p for p in root.iterdir() if p.name.startswith(".import-")]  # staging removed
    bad = dest / "images" / "raw_scale100" / "cell3.tiff"
    bad.unlink()
    (report,) = verify(root, repair=True)
    assert report.missing == ["images/raw_scale100/cell3.tiff"] and report.ok and bad.is_file()


def test_import_drone_and_errors(tmp_path):
    src = tmp_path / "drone_copy"
    write_drone(src, {"DJI_0001": [(0, 8, 0, 8)]})
    r = import_local(src, "drone", tmp_path / "root")
    assert sorted(r.copied) == ["images_full/raw_scale100/DJI_0001.tif", "masks_full/DJI_0001.png"]
    with pytest.raises(UserError, match="no microscopy dataset in .*expected folders images/ \\+ labels/"):
        import_local(src, "microscopy", tmp_path / "root")
    with pytest.raises(UserError, match="no such file or folder"):
        import_local(tmp_path / "absent", "drone", tmp_path / "root")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UserError, match="expected a folder or a .zip"):
        import_local(tmp_path / "notes.txt", "drone", tmp_path / "root")
