"""The parametrized (differentiable, learnable) ISP of the seed, on the static views' stage functions.

Stages, in order, on raw normalised to [0, 1]::

    black level (learnable, 4) → bilinear demosaic (fixed) → white balance (learnable, 3)
      → colour matrix (learnable, 3×3) → Y ← Y ⋆ sharpening kernel (learnable 3×3)
      → Y ← Y ⋆ blur kernel (learnable 5×5) → clip to [clip_low, 1] → gamma x^(1/γ) (learnable, γ₀ = 2.2)
      → + additive layer (optional, learnable) → BatchNorm without affine (optional)

Initialised from a device's camera parameters with the seed's sharpening kernel and the σ = 0.5 Gaussian,
it computes the static view ``bilinear+sharpening_filter+gaussian_denoising`` — the same functions, with
``nn.Parameter`` s where the static view has buffers — except that it clips at ``clip_low`` = 1e-5 instead
of 0 (so the gamma's gradient stays finite); with ``clip_low=0`` the two agree to float32 rounding.
``learnable=False`` registers every camera parameter as a buffer: the frozen ISP of a training run.

Parameter names are the seed's groups, which adversarial forensics attacks one at a time:
:data:`PARAMETER_GROUPS`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn

from physical.checks import InputError, check_image
from physical.isp.bilinear import demosaic_bilinear
from physical.isp.black_level import subtract_black_level
from physical.isp.camera import IspCamera
from physical.isp.colour_matrix import colour_matrix
from physical.isp.gamma import GAMMA, clip, gamma_correct
from physical.isp.gaussian import gaussian_kernel
from physical.isp.sharpening import SHARPENING_KERNEL, filter_luma
from physical.isp.trace import TracedPipeline
from physical.isp.white_balance import white_balance
from physical.isp.yuv import on_luma

__all__ = ["ParametrizedConfig", "ParametrizedISP", "PARAMETER_GROUPS"]

PARAMETER_GROUPS = ("black_level", "white_balance", "colour_correction", "gamma_correct", "sharpening_filter",
                    "gaussian_blur", "additive_layer")


@dataclass(frozen=True)
class ParametrizedConfig:
    """``additive_layer``: (H, W) of a learnable image added after gamma (zeros at start), or None."""

    batch_norm: bool = False
    additive_layer: tuple[int, int] | None = None
    clip_low: float = 1e-5
    gamma: float = GAMMA
    blur_sigma: float = 0.5  # the static view's gaussian_denoising; 5×5


class ParametrizedISP(TracedPipeline):
    """raw ``(B, 1, H, W)`` normalised → RGB ``(B, 3, H, W)`` (in [0, 1] unless additive layer / BatchNorm)."""

    def __init__(self, camera: IspCamera, config: ParametrizedConfig = ParametrizedConfig(), learnable: bool = True):
        super().__init__()
        if not (0 <= config.clip_low < 1):
            raise InputError(f"expected clip_low in [0, 1), got {config.clip_low}")
        self.config = config
        self.pattern = camera.pattern
        cam = camera.tensors()
        blur = gaussian_kernel(config.blur_sigma)
        if blur.shape != (5, 5):
            raise InputError(f"expected a blur sigma with a 5×5 kernel (sigma < 0.625), got {config.blur_sigma}")
        initial = {
            "black_level": cam["black_level"],
            "white_balance": cam["white_balance"],
            "colour_correction": cam["colour_matrix"],
            "gamma_correct": torch.tensor(float(config.gamma)),
            "sharpening_filter": SHARPENING_KERNEL.clone(),
            "gaussian_blur": blur,
        }
        if config.additive_layer is not None:
            h, w = config.additive_layer
            initial["additive_layer"] = torch.zeros(1, 3, h, w)
        for name, t in initial.items():
            if learnable:
                self.register_parameter(name, nn.Parameter(t.clone()))
            else:
                self.register_buffer(name, t.clone())
        if config.additive_layer is None:
            self.additive_layer = None
        self.batch_norm = nn.BatchNorm2d(3, affine=False) if config.batch_norm else None

    def stages(self, raw: torch.Tensor) -> Iterator[tuple[str, torch.Tensor]]:
        check_image(raw, "raw", 1, even=True)
        if self.additive_layer is not None and self.additive_layer.shape[-2:] != raw.shape[-2:]:
            raise InputError(
                f"the additive layer is {tuple(self.additive_layer.shape[-2:])}, got raw of size {tuple(raw.shape[-2:])}"
            )
        yield "raw", raw
        x = subtract_black_level(raw, self.black_level)
        yield "black_level", x
        x = demosaic_bilinear(x, self.pattern)  # fixed linear operator
        yield "demosaic", x
        x = white_balance(x, self.white_balance)
        yield "white_balance", x
        x = colour_matrix(x, self.colour_correction)
        yield "colour_matrix", x
        x = on_luma(x, lambda y: filter_luma(y, self.sharpening_filter))
        yield "sharpening", x
        x = on_luma(x, lambda y: filter_luma(y, self.gaussian_blur))
        yield "denoising", x
        x = clip(x, self.config.clip_low, 1.0)
        yield "clip", x
        x = gamma_correct(x, self.gamma_correct)
        yield "gamma", x
        if self.additive_layer is not None:
            x = x + self.additive_layer
            yield "additive_layer", x
        if self.batch_norm is not None:
            x = self.batch_norm(x)
            yield "batch_norm", x

    def parameter_group(self, name: str) -> list[nn.Parameter]:
        """The parameters of one of :data:`PARAMETER_GROUPS` (empty if that group is absent or frozen)."""
        if name not in PARAMETER_GROUPS:
            raise InputError(f"unknown parameter group {name!r}; expected one of: {', '.join(PARAMETER_GROUPS)}")
        p = getattr(self, name, None)
        return [p] if isinstance(p, nn.Parameter) else []
