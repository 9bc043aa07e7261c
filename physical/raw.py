"""Raw sensor data and the metadata that travels with it.

Raw data is ``(B, 1, H, W)`` float32 holding the *stored* digital numbers (left-justified where the device
stores so, e.g. the drone's 12-bit codes × 16). :class:`RawMeta` says how to read them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from physical.cfa import crop_pattern

__all__ = ["RawMeta", "Raw"]


@dataclass(frozen=True)
class RawMeta:
    """How to interpret stored raw numbers.

    All levels are in *stored* DN. ``full_scale_dn`` (2^stored_bits − 1) is what raw values are divided by
    when normalised to [0, 1], as the published datasets are on load.
    """

    device: str
    cfa_pattern: str
    bits: int
    stored_bits: int
    black_level_dn: float
    white_level_dn: float  # highest code the ADC can produce, stored DN
    gain_dn_per_e: float  # system gain K, stored DN per electron
    intensities: tuple[float, ...] = ()  # per sample, the intensity ratio it was captured or re-exposed at

    @property
    def left_shift(self) -> int:
        return self.stored_bits - self.bits

    @property
    def full_scale_dn(self) -> int:
        return 2**self.stored_bits - 1

    @property
    def black_level_normalised(self) -> float:
        return self.black_level_dn / self.full_scale_dn

    def cropped(self, top: int, left: int) -> "RawMeta":
        """Metadata of the image with ``top`` rows and ``left`` columns cropped off (the CFA phase moves)."""
        return dataclasses.replace(self, cfa_pattern=crop_pattern(self.cfa_pattern, top, left))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Raw:
    """Raw frames ``data`` ``(B, 1, H, W)`` float32 in stored DN, with their :class:`RawMeta`."""

    data: torch.Tensor
    meta: RawMeta

    def normalised(self) -> torch.Tensor:
        """Stored DN / (2^stored_bits − 1): ``(B, 1, H, W)`` in [0, 1]."""
        return self.data / self.meta.full_scale_dn

    def crop(self, top: int, left: int, height: int, width: int) -> "Raw":
        data = self.data[..., top : top + height, left : left + width]
        return Raw(data, self.meta.cropped(top, left))
