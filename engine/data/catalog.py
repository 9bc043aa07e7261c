"""The datasets the engine knows: where they live in the B2 bucket, where they go locally, which device made them.

``perturbed-minds`` is the public bucket of the Raw-Microscopy / Raw-Drone paper (Zenodo DOI
10.5281/zenodo.5235536, CC BY 4.0). Each dataset is a few bucket folders, each mapped onto one local folder;
``.zip`` files in a folder are archives whose members are unpacked into that local folder (the bucket keeps
the image folders zipped, one archive per intensity).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.layout import DRONE_IMAGES_DIR, DRONE_MASKS_DIR, IMAGES_DIR, LABELS_DIR, MASKS_DIR
from physical.registry import Registry

__all__ = ["BUCKET_NAME", "RemoteFolder", "DatasetSpec", "DATASETS", "find_layout", "get_dataset_spec"]

BUCKET_NAME = "perturbed-minds"


@dataclass(frozen=True)
class RemoteFolder:
    """Bucket folder ``prefix`` (no trailing slash) → local folder ``local`` (relative to the dataset folder)."""

    prefix: str
    local: str


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    description: str
    device: str  # preset in physical.devices.DEVICES
    folders: tuple[RemoteFolder, ...]
    # Local layouts a copy may have: (images folder, labels-or-masks folder), published names first.
    layouts: tuple[tuple[str, str], ...]


DATASETS: Registry[DatasetSpec] = Registry("dataset")

DATASETS.add(
    "microscopy",
    DatasetSpec(
        name="microscopy",
        description="Raw-Microscopy: 940 blood-smear crops (256x256) x 7 intensities, leukocyte classes",
        device="microscope-pco-edge-5.5",
        folders=(
            RemoteFolder("Data histopathology/WhiteCellsImages", IMAGES_DIR),
            RemoteFolder("Data histopathology/WhiteCellsLabels", LABELS_DIR),
        ),
        layouts=((IMAGES_DIR, LABELS_DIR),),
    ),
)

DATASETS.add(
    "drone",
    DatasetSpec(
        name="drone",
        description="Raw-Drone: 548 aerial raw images (5472x3648) x 7 intensities with car masks",
        device="drone-l1d-20c",
        folders=(
            RemoteFolder("drone/images", DRONE_IMAGES_DIR),
            RemoteFolder("drone/masks", DRONE_MASKS_DIR),
        ),
        layouts=((DRONE_IMAGES_DIR, DRONE_MASKS_DIR), (IMAGES_DIR, MASKS_DIR)),
    ),
)


def find_layout(folder: Path, spec: DatasetSpec) -> tuple[str, str] | None:
    """The first of ``spec.layouts`` whose two folders exist in ``folder``, or ``None``."""
    for images, notes in spec.layouts:
        if (folder / images).is_dir() and (folder / notes).is_dir():
            return images, notes
    return None


def get_dataset_spec(name: str) -> DatasetSpec:
    """The dataset called ``name``; an unknown name fails listing the known ones."""
    return DATASETS.get(name)
