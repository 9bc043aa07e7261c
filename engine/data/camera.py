"""The device and ISP camera parameters a dataset's raw frames carry.

Published copies use their preset (``microscope-pco-edge-5.5``, ``drone-l1d-20c``) with the seed's camera
parameters. A synthetic dataset written by ``dataengine capture`` / ``synthesize`` has a ``manifest.json``
recording the full device and the raw metadata; its black level (stored DN, e.g. the simulator's 100 DN
offset) then replaces the preset's, normalised to the stored full scale, so the ISP subtracts what the
simulated sensor actually added.

Every item carries the parameters as tensors (``camera_tensors``): ``black_level (4,)`` normalised per CFA
site in reading order, ``white_balance (3,)`` and ``colour_matrix (3, 3)`` (out = M · in).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch

from engine.errors import UserError
from engine.manifest import read_manifest
from physical.devices import CameraParams, Device, device_from_dict, get_device

__all__ = ["DatasetCamera", "dataset_camera", "camera_tensors"]


@dataclasses.dataclass(frozen=True)
class DatasetCamera:
    device: Device
    camera: CameraParams  # with the dataset's own black level
    cfa_pattern: str
    source: str  # "preset" or "manifest"


def _device_from_manifest(record: dict[str, Any], base: str, where: Path) -> Device:
    sections = {k: v for k, v in record.items() if k in ("optics", "sensor", "adc", "cfa", "camera", "noise")}
    try:
        return device_from_dict({"base": base, "name": record.get("name", base),
                                 "description": record.get("description", ""), **sections})
    except ValueError as exc:
        raise UserError(f"{where}: its device record does not describe a device: {exc}") from None


def dataset_camera(folder: str | Path, default_device: str) -> DatasetCamera:
    """The device and camera parameters of the dataset in ``folder`` (manifest if present, else the preset)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if not manifest or not isinstance(manifest.get("device"), dict):
        device = get_device(default_device)
        return DatasetCamera(device, device.camera, device.cfa.pattern, "preset")
    where = folder / "manifest.json"
    device = _device_from_manifest(manifest["device"], default_device, where)
    camera = device.camera
    meta = manifest.get("raw_meta") or {}
    black_dn, stored_bits = meta.get("black_level_dn"), meta.get("stored_bits", device.adc.stored_bits)
    if black_dn is not None:
        try:
            level = float(black_dn) / (2 ** int(stored_bits) - 1)
        except (TypeError, ValueError):
            raise UserError(f"{where}: raw_meta.black_level_dn and stored_bits must be numbers") from None
        camera = dataclasses.replace(camera, black_level=(level,) * 4)
    pattern = str(meta.get("cfa_pattern", device.cfa.pattern))
    return DatasetCamera(device, camera, pattern, "manifest")


def camera_tensors(camera: CameraParams) -> dict[str, torch.Tensor]:
    """The ISP parameters of an item as float32 tensors (see the module docstring)."""
    return {
        "black_level": torch.tensor(camera.black_level, dtype=torch.float32),
        "white_balance": torch.tensor(camera.white_balance, dtype=torch.float32),
        "colour_matrix": torch.tensor(camera.colour_matrix, dtype=torch.float32).reshape(3, 3),
    }
