"""The registry of dataset readers: ``open_reader("microscopy", folder, intensities=...)``.

| name | reader | task |
|---|---|---|
| ``microscopy`` | :class:`~engine.data.readers_microscopy.MicroscopyDataset` | classification (leukocyte classes) |
| ``drone-segmentation`` | :class:`~engine.data.readers_drone.DroneSegmentation` | segmentation (car masks) |
| ``drone-classification`` | :class:`~engine.data.readers_drone.DroneClassification` | classification (car / no car) |

The same readers open published copies (``ROOT/microscopy``, ``ROOT/drone``) and synthetic datasets in the
same layout. Each reader's folder dataset (catalog name) is given by ``READER_DATASET``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.data.readers_drone import DroneClassification, DroneSegmentation
from engine.data.readers_microscopy import MicroscopyDataset
from physical.registry import Registry

__all__ = ["READERS", "READER_DATASET", "open_reader"]

READERS: Registry[type] = Registry("dataset reader")
READERS.add("microscopy", MicroscopyDataset)
READERS.add("drone-segmentation", DroneSegmentation)
READERS.add("drone-classification", DroneClassification)

READER_DATASET = {"microscopy": "microscopy", "drone-segmentation": "drone", "drone-classification": "drone"}


def open_reader(name: str, folder: str | Path, **options: Any) -> Any:
    """The reader ``name`` on ``folder``; unknown names fail listing the readers."""
    return READERS.get(name)(folder, **options)
