"""The ``none`` processing mode: no ISP, the Bayer mosaic rearranged into a half-resolution RGB image by site.

raw ``(B, 1, H, W)`` → ``(B, 3, H/2, W/2)``: R, the mean of the two G, B (:func:`physical.cfa.half_resolution_rgb`).
Like the seed's ``RawToRGB`` it does not subtract the black level unless asked (``subtract_black=True``).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from physical.cfa import half_resolution_rgb
from physical.checks import check_image
from physical.isp.black_level import subtract_black_level
from physical.isp.camera import IspCamera
from physical.isp.trace import TracedPipeline

__all__ = ["NoneISP"]


class NoneISP(TracedPipeline):
    def __init__(self, camera: IspCamera, subtract_black: bool = False):
        super().__init__()
        self.pattern = camera.pattern
        self.subtract_black = subtract_black
        self.register_buffer("black_level", camera.tensors()["black_level"])

    def stages(self, raw: torch.Tensor) -> Iterator[tuple[str, torch.Tensor]]:
        check_image(raw, "raw", 1, even=True)
        yield "raw", raw
        x = subtract_black_level(raw, self.black_level) if self.subtract_black else raw
        if self.subtract_black:
            yield "black_level", x
        yield "half_resolution_rgb", half_resolution_rgb(x, self.pattern)
