"""The camera parameters an ISP needs: CFA pattern, black level per site, white balance, colour matrix.

:class:`IspCamera` is built from a device (``from_device``: the seed's numbers for the published files) or
from a simulated raw's metadata (``from_raw_meta``: the raw's own black level and CFA phase, the device's
white balance and colour matrix). All levels are normalised to [0, 1] of the stored range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from physical.cfa import site_colours
from physical.checks import InputError
from physical.devices import Device
from physical.raw import RawMeta

__all__ = ["IspCamera"]


@dataclass(frozen=True)
class IspCamera:
    """``black_level`` (4, reading order, normalised), ``white_balance`` (3: R, G, B gains),
    ``colour_matrix`` (9, row-major, out = M · in), ``pattern`` (CFA name)."""

    pattern: str
    black_level: tuple[float, float, float, float]
    white_balance: tuple[float, float, float]
    colour_matrix: tuple[float, ...]

    def __post_init__(self) -> None:
        site_colours(self.pattern)
        for name, values, n in (("black_level", self.black_level, 4), ("white_balance", self.white_balance, 3),
                                ("colour_matrix", self.colour_matrix, 9)):
            if len(values) != n or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
                raise InputError(f"expected camera {name} as {n} finite numbers, got {values!r}")
        if not all(0 <= v < 1 for v in self.black_level):
            raise InputError(f"expected a normalised black level in [0, 1) per site, got {self.black_level!r}")

    @classmethod
    def from_device(cls, device: Device, black_level: float | tuple[float, ...] | None = None,
                    pattern: str | None = None) -> "IspCamera":
        """The device's camera parameters; ``black_level`` (one value or four) overrides the device's."""
        cam = device.camera
        if black_level is None:
            levels = tuple(cam.black_level)
        elif isinstance(black_level, (int, float)):
            levels = (float(black_level),) * 4
        else:
            levels = tuple(float(v) for v in black_level)
        return cls(pattern or device.cfa.pattern, levels, tuple(cam.white_balance), tuple(cam.colour_matrix))

    @classmethod
    def from_raw_meta(cls, meta: RawMeta, device: Device) -> "IspCamera":
        """A simulated raw: its own black level and CFA phase, the device's colour processing."""
        return cls.from_device(device, black_level=meta.black_level_normalised, pattern=meta.cfa_pattern)

    def tensors(self, device=None, dtype=torch.float32) -> dict[str, torch.Tensor]:
        """``black_level`` (4,), ``white_balance`` (3,), ``colour_matrix`` (3, 3)."""
        return {
            "black_level": torch.tensor(self.black_level, device=device, dtype=dtype),
            "white_balance": torch.tensor(self.white_balance, device=device, dtype=dtype),
            "colour_matrix": torch.tensor(self.colour_matrix, device=device, dtype=dtype).reshape(3, 3),
        }
