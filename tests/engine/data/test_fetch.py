"""Fetching from B2 (b2sdk's in-process RawSimulator): resume, SHA-1 checks, interruption, hostile keys."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import tifffile

from engine.data import fetch, verify
from engine.data.b2_fetch import KEY_ENV, KEY_ID_ENV, open_bucket
from engine.data.file_index import load_index
from engine.errors import UserError
from tests.engine.data.conftest import MICRO_IMAGES, MICRO_LABELS, micro_image, upload_microscopy, zip_bytes, tiff_bytes


def _all_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _sim_file(sim, key):
    bucket = sim.bucket_name_to_bucket["perturbed-minds"]
    return next(f for f in bucket.file_id_to_file.values() if f.name == key)


def test_fetch_into_empty_root_then_again_downloads_nothing(tmp_path, b2):
    bucket, sim = b2
    entries = upload_microscopy(bucket)
    r = fetch("microscopy", tmp_path, bucket)
    folder = tmp_path / "microscopy"
    assert sorted(r.downloaded) == [f"{MICRO_IMAGES}/raw_scale005.zip", f"{MICRO_IMAGES}/raw_scale100.zip",
                                    f"{MICRO_LABELS}/Ma190c_annotations.dat"]
    assert sim.downloads == 3
    # Archives unpacked into images/, deleted afterwards; the placeholder is not fetched.
    name = entries[0][0]
    got = tifffile.imread(folder / "images" / "raw_scale005" / f"{name}.tiff")
    np.testing.assert_array_equal(got, micro_image(name, 0.05))
    assert not (folder / ".downloads").exists() or not any((folder / ".downloads").rglob("*.zip"))
    assert not (folder / "labels" / ".bzEmpty").exists()
    # Every file is in the index with its true SHA-1.
    index = load_index(folder)
    assert len(index.files) == 2 * len(entries) + 1
    for rel, rec in index.files.items():
        assert hashlib.sha1((folder / rel).read_bytes()).hexdigest() == rec.sha1
    before = _all_files(folder)

    r2 = fetch("microscopy", tmp_path, bucket)
    assert sim.downloads == 3 and r2.downloaded == [] and len(r2.current) == 3
    assert _all_files(folder) == before


def test_large_and_small_files_are_both_checked(tmp_path, b2):
    bucket, sim = b2
    upload_microscopy(bucket)
    zips = _sim_file(sim, f"{MICRO_IMAGES}/raw_scale100.zip")
    labels = _sim_file(sim, f"{MICRO_LABELS}/Ma190c_annotations.dat")
    # The simulator stores large files without content_sha1; b2sdk records large_file_sha1 instead.
    assert zips.content_sha1 == "none" and "large_file_sha1" in zips.file_info
    assert len(labels.content_sha1) == 40
    fetch("microscopy", tmp_path, bucket)


@pytest.mark.parametrize("key", [f"{MICRO_IMAGES}/raw_scale100.zip", f"{MICRO_LABELS}/Ma190c_annotations.dat"])
def test_remote_file_with_wrong_sha1_is_refused_and_not_left_on_disk(tmp_path, b2, key):
    bucket, sim = b2
    upload_microscopy(bucket)
    f = _sim_file(sim, key)
    f.data_bytes = f.data_bytes[:-1] + bytes([f.data_bytes[-1] ^ 1])  # same size, other bytes
    with pytest.raises(UserError, match="refused") as exc:
        fetch("microscopy", tmp_path, bucket)
    assert key in str(exc.value)
    leftovers = [p.name for p in (tmp_path / "microscopy").rglob("*") if p.is_file() and p.name != "index.json"]
    assert not any(key.rsplit("/", 1)[-1] in n or n.endswith(".tmp") or ".tmp." in n for n in leftovers), leftovers


def test_interrupted_fetch_completes_when_run_again(tmp_path, b2):
    bucket, sim = b2
    upload_microscopy(bucket)
    sim.fail_on = {2}
    with pytest.raises(RuntimeError, match="injected"):
        fetch("microscopy", tmp_path, bucket)
    folder = tmp_path / "microscopy"
    assert not [p for p in folder.rglob("*") if ".tmp" in p.name]
    done = len(load_index(folder).remote)
    assert done == 1  # the first object completed and was recorded
    r = fetch("microscopy", tmp_path, bucket)
    assert len(r.downloaded) == 2 and len(r.current) == 1
    (report,) = verify(tmp_path)
    assert report.checked > 0 and not report.missing and not report.corrupt


def test_leftovers_of_a_killed_fetch_are_cleaned_up(tmp_path, b2):
    bucket, sim = b2
    upload_microscopy(bucket)
    fetch("microscopy", tmp_path, bucket)
    folder = tmp_path / "microscopy"
    # What SIGKILL leaves: a temporary file of atomic_path, and an index that missed the last object.
    stale = folder / "labels" / ".Ma190c_annotations.dat.k3j_x9q2.tmp.dat"
    stale.write_bytes(b"half")
    label = folder / "labels" / "Ma190c_annotations.dat"
    label.unlink()
    r = fetch("microscopy", tmp_path, bucket)
    assert r.downloaded == [f"{MICRO_LABELS}/Ma190c_annotations.dat"]
    assert not stale.exists() and label.is_file()


def test_b2sdk_resumes_a_truncated_transfer(tmp_path, b2):
    bucket, sim = b2
    upload_microscopy(bucket)
    sim.truncate_once = {_sim_file(sim, f"{MICRO_IMAGES}/raw_scale100.zip").file_id}
    fetch("microscopy", tmp_path, bucket)
    assert sim.downloads == 4  # one ranged follow-up request by b2sdk's downloader
    (report,) = verify(tmp_path)
    assert not report.corrupt


def test_expired_token_is_renewed_by_b2sdk(tmp_path, b2):
    bucket, sim = b2
    upload_microscopy(bucket)
    sim.expire_auth_token(sim.current_token)
    fetch("microscopy", tmp_path, bucket)
    assert (tmp_path / "microscopy" / "labels" / "Ma190c_annotations.dat").is_file()


def test_corrupted_local_file_is_found_by_verify_and_fetched_again(tmp_path, b2):
    bucket, sim = b2
    entries = upload_microscopy(bucket)
    fetch("microscopy", tmp_path, bucket)
    bad = tmp_path / "microscopy" / "images" / "raw_scale100" / f"{entries[1][0]}.tiff"
    good = bad.read_bytes()
    bad.write_bytes(good[:-2] + b"\0\0")
    (report,) = verify(tmp_path)
    assert report.corrupt == [f"images/raw_scale100/{entries[1][0]}.tiff"] and not report.ok
    n = sim.downloads
    (report,) = verify(tmp_path, repair=True, bucket=bucket)
    assert report.ok and report.repaired == report.corrupt
    assert sim.downloads == n + 1  # only the archive holding the corrupt file
    assert bad.read_bytes() == good


@pytest.mark.parametrize("evil", ["../../x.tiff", "raw_scale100/../../../x.tiff"])
def test_bucket_key_with_dotdot_is_refused_before_any_download(tmp_path, b2, evil):
    bucket, sim = b2
    upload_microscopy(bucket)
    bucket.upload_bytes(b"gotcha", f"{MICRO_LABELS}/{evil}")
    with pytest.raises(UserError, match=r"refusing bucket key .*'\.\.'"):
        fetch("microscopy", tmp_path, bucket)
    assert sim.downloads == 0
    assert not (tmp_path / "x.tiff").exists() and not (tmp_path.parent / "x.tiff").exists()


def test_archive_with_escaping_member_is_refused(tmp_path, b2):
    bucket, sim = b2
    upload_microscopy(bucket)
    bucket.upload_bytes(zip_bytes({"../../x.tiff": tiff_bytes(micro_image("x", 1.0))}), f"{MICRO_IMAGES}/raw_scale010.zip")
    with pytest.raises(UserError, match="refusing raw_scale010.zip"):
        fetch("microscopy", tmp_path, bucket)
    assert not list(tmp_path.parent.glob("x.tiff")) and not list(tmp_path.rglob("x.tiff"))


def test_dry_run_writes_nothing(tmp_path, b2):
    bucket, sim = b2
    upload_microscopy(bucket)
    r = fetch("microscopy", tmp_path, bucket, dry_run=True)
    assert len(r.downloaded) == 3 and r.planned_bytes > 0
    assert sim.downloads == 0 and not (tmp_path / "microscopy").exists()


def test_unknown_dataset_lists_the_known_ones(tmp_path, b2):
    with pytest.raises(ValueError, match="unknown dataset 'cells'.*drone, microscopy"):
        fetch("cells", tmp_path, b2[0])


def test_missing_credentials_name_both_variables(monkeypatch):
    monkeypatch.delenv(KEY_ID_ENV, raising=False)
    monkeypatch.setenv(KEY_ENV, "")
    with pytest.raises(UserError) as exc:
        open_bucket()
    assert KEY_ID_ENV in str(exc.value) and KEY_ENV in str(exc.value)


def test_fetched_drone_dataset_opens_with_the_readers(tmp_path, b2):
    from engine.data import DroneClassification, DroneSegmentation, describe
    from tests.engine.data.conftest import write_drone

    bucket, sim = b2
    local = tmp_path / "local"
    write_drone(local, {"DJI_0001": [(0, 16, 0, 16)], "DJI_0002": []}, intensities=(1.0, 0.01))
    for r in ("raw_scale100", "raw_scale001"):
        members = {f"{r}/{p.name}": p.read_bytes() for p in sorted((local / "images_full" / r).iterdir())}
        bucket.upload_bytes(zip_bytes(members), f"drone/images/{r}.zip")
    for p in sorted((local / "masks_full").iterdir()):
        bucket.upload_bytes(p.read_bytes(), f"drone/masks/{p.name}")
    fetch("drone", tmp_path / "root", bucket)
    folder = tmp_path / "root" / "drone"
    assert (folder / "images_full" / "raw_scale001" / "DJI_0002.tif").read_bytes() == \
        (local / "images_full" / "raw_scale001" / "DJI_0002.tif").read_bytes()
    assert describe(folder)["tiles"] == []
    seg = DroneSegmentation(folder, intensities=(0.01, 1.0), tile=16)
    assert seg.groups == ["DJI_0001_00000"] * 2
    cls = DroneClassification(folder, tile=16)
    assert cls.targets == [0, 1]
    (tiles,) = describe(folder)["tiles"]
    assert tiles["size"] == 16 and tiles["segmentation"] == 1 and tiles["classification"] == {"car": 1, "no car": 1}
    # The tile cache is not part of what was fetched: verify checks fetched files only.
    (report,) = verify(tmp_path / "root")
    assert report.ok and report.checked == 6


def test_fetch_only_some_intensities_then_the_rest(tmp_path, b2):
    bucket, sim = b2
    upload_microscopy(bucket)
    r = fetch("microscopy", tmp_path, bucket, intensities=(1.0,))
    assert sorted(r.downloaded) == [f"{MICRO_IMAGES}/raw_scale100.zip", f"{MICRO_LABELS}/Ma190c_annotations.dat"]
    assert not (tmp_path / "microscopy" / "images" / "raw_scale005").exists()
    r = fetch("microscopy", tmp_path, bucket)
    assert r.downloaded == [f"{MICRO_IMAGES}/raw_scale005.zip"]
