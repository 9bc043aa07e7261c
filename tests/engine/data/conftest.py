"""Fixtures for the data tests: tiny datasets in the published layout and an in-process B2 bucket.

The bucket is b2sdk's own ``RawSimulator`` behind a real ``B2Api``; tests that need a failing server subclass
the simulator (the third-party server is what they fake, never our code).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
import tifffile
from b2sdk.v2 import B2Api, B2HttpApiConfig, InMemoryAccountInfo, InMemoryCache, RawSimulator

from engine.layout import intensity_folder

MICRO_IMAGES = "Data histopathology/WhiteCellsImages"
MICRO_LABELS = "Data histopathology/WhiteCellsLabels"


class CountingSimulator(RawSimulator):
    """RawSimulator that counts downloads and can fail chosen ones (1-based call numbers)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.downloads = 0
        self.fail_on: set[int] = set()
        self.truncate_once: set[str] = set()  # file ids whose first response is cut in half

    def download_file_from_url(self, account_auth_token_or_none, url, range_=None, encryption=None):
        self.downloads += 1
        if self.downloads in self.fail_on:
            raise RuntimeError("injected failure mid-fetch")
        resp = super().download_file_from_url(account_auth_token_or_none, url, range_=range_, encryption=encryption)
        file_id = url.rsplit("=", 1)[-1]
        if range_ is None and file_id in self.truncate_once:
            self.truncate_once.discard(file_id)
            inner = resp.response
            inner.data_bytes = inner.data_bytes[: len(inner.data_bytes) // 2]  # headers still promise the full length
        return resp


def make_bucket(sim_class=CountingSimulator):
    api = B2Api(InMemoryAccountInfo(), cache=InMemoryCache(), api_config=B2HttpApiConfig(_raw_api_class=sim_class))
    sim = api.session.raw_api
    account_id, master_key = sim.create_account()
    api.authorize_account("production", account_id, master_key)
    return api.create_bucket("perturbed-minds", "allPrivate"), sim


@pytest.fixture
def b2():
    bucket, sim = make_bucket()
    return bucket, sim


def tiff_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    tifffile.imwrite(buf, a, photometric="minisblack")
    return buf.getvalue()


def micro_image(name: str, ratio: float, size: int = 8) -> np.ndarray:
    """A deterministic uint16 frame that differs per image and intensity."""
    seed = sum(map(ord, name)) * 1000 + round(ratio * 100)
    return np.random.default_rng(seed).integers(0, 65536, (size, size), dtype=np.uint16)


MICRO_CLASSES = {"LYT": 6, "NGS": 5, "BAS": 4}  # BAS (4 images) is dropped


def micro_names(classes=MICRO_CLASSES) -> list[tuple[str, str]]:
    return [(f"Ma190c_{code}_{i}", code) for code, n in classes.items() for i in range(n)]


def label_text(entries) -> str:
    return "".join(f"{name} {code}\n" for name, code in entries)


def write_microscopy(folder: Path, intensities=(1.0, 0.05), classes=MICRO_CLASSES, size=8,
                     label_file="Ma190c_annotations.dat") -> list[tuple[str, str]]:
    entries = micro_names(classes)
    for r in intensities:
        d = folder / "images" / intensity_folder(r)
        d.mkdir(parents=True, exist_ok=True)
        for name, _ in entries:
            tifffile.imwrite(d / f"{name}.tiff", micro_image(name, r, size), photometric="minisblack")
    (folder / "labels").mkdir(parents=True, exist_ok=True)
    (folder / "labels" / label_file).write_text(label_text(entries))
    return entries


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A zip of ``members``; byte-identical on every run (fixed timestamps)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2021, 8, 23, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def upload_microscopy(bucket, intensities=(1.0, 0.05), classes=MICRO_CLASSES, size=8) -> list[tuple[str, str]]:
    """The bucket layout: one zip per intensity (``raw_scaleNNN/<name>.tiff`` inside) plus the label file."""
    entries = micro_names(classes)
    for r in intensities:
        folder = intensity_folder(r)
        members = {f"{folder}/{name}.tiff": tiff_bytes(micro_image(name, r, size)) for name, _ in entries}
        bucket.upload_bytes(zip_bytes(members), f"{MICRO_IMAGES}/{folder}.zip")
    bucket.upload_bytes(b"", f"{MICRO_LABELS}/.bzEmpty")
    bucket.upload_bytes(label_text(entries).encode(), f"{MICRO_LABELS}/Ma190c_annotations.dat")
    return entries


def drone_frame(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A 12-bit-in-16 frame: multiples of 16 above the 4096 DN black level."""
    rng = np.random.default_rng(seed)
    return (rng.integers(256, 4096, (h, w)) * 16).astype(np.uint16)


def write_drone(folder: Path, masks_spec: dict[str, list[tuple[int, int, int, int]]], h=48, w=64,
                intensities=(1.0,), images_dir="images_full", masks_dir="masks_full", mask_suffix=".png") -> None:
    """Frames ``h``×``w`` and masks with car rectangles ``(y0, y1, x0, x1)`` per frame stem."""
    from PIL import Image

    for k, (stem, rects) in enumerate(masks_spec.items()):
        for r in intensities:
            d = folder / images_dir / intensity_folder(r)
            d.mkdir(parents=True, exist_ok=True)
            tifffile.imwrite(d / f"{stem}.tif", drone_frame(h, w, seed=k * 100 + round(r * 100)), photometric="minisblack")
        m = np.zeros((h, w), np.uint8)
        for y0, y1, x0, x1 in rects:
            m[y0:y1, x0:x1] = 255
        (folder / masks_dir).mkdir(parents=True, exist_ok=True)
        Image.fromarray(m).save(folder / masks_dir / f"{stem}{mask_suffix}")
