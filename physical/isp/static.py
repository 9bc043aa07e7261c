"""The static ISP: one named combination of demosaic, sharpening and denoising with fixed camera parameters.

In DOMAIN.md's order, on raw normalised to [0, 1]::

    black level (per CFA site) → demosaic → white balance → colour matrix
      → sharpen Y of YUV → denoise Y of YUV → clip to [0, 1] → gamma x^(1/2.2)

The pipeline is a list of steps, each with a key that names its configuration (``demosaic=menon2007``), so
several views of the same raw can share their common first steps (:func:`physical.isp.views.render_views`).
Camera parameters are buffers of :class:`StaticISP`; the learnable pipeline calls the same stage functions
with parameters instead (:mod:`physical.isp.parametrized`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from physical.checks import InputError, check_image
from physical.isp.black_level import subtract_black_level
from physical.isp.camera import IspCamera
from physical.isp.colour_matrix import colour_matrix
from physical.isp.demosaic import DEMOSAICS, demosaic
from physical.isp.denoising import DENOISINGS
from physical.isp.gamma import GAMMA, clip, gamma_correct
from physical.isp.sharpening import SHARPENINGS
from physical.isp.trace import TracedPipeline
from physical.isp.white_balance import white_balance
from physical.isp.yuv import on_luma
from physical.registry import Registry

__all__ = ["ViewSpec", "VIEWS", "Step", "static_steps", "run_steps", "StaticISP", "STATIC_STAGES"]

STATIC_STAGES = ("raw", "black_level", "demosaic", "white_balance", "colour_matrix", "sharpening", "denoising",
                 "clip", "gamma")


@dataclass(frozen=True)
class ViewSpec:
    """A static view: ``<demosaic>+<sharpening>+<denoising>``, each a name from its stage registry."""

    demosaic: str
    sharpening: str
    denoising: str

    def __post_init__(self) -> None:
        DEMOSAICS.get(self.demosaic)
        SHARPENINGS.get(self.sharpening)
        DENOISINGS.get(self.denoising)

    @property
    def name(self) -> str:
        return f"{self.demosaic}+{self.sharpening}+{self.denoising}"

    @classmethod
    def parse(cls, name: str) -> "ViewSpec":
        parts = name.split("+")
        if len(parts) != 3:
            raise InputError(f"expected a view name <demosaic>+<sharpening>+<denoising>, got {name!r}")
        return cls(*parts)


# The 12 static views of the published protocol, demosaic, then sharpening, then denoising (``fft_denoising``
# is a stage but not in the grid, as in the seed). Here beside ViewSpec, so that StaticISP can name them
# without importing the batched renderer (physical.isp.views re-exports it).
VIEWS: Registry[ViewSpec] = Registry("view")
for _d in ("bilinear", "malvar2004", "menon2007"):
    for _s in ("sharpening_filter", "unsharp_masking"):
        for _n in ("gaussian_denoising", "median_denoising"):
            _spec = ViewSpec(_d, _s, _n)
            VIEWS.add(_spec.name, _spec)


@dataclass(frozen=True)
class Step:
    name: str  # the stage it produces
    key: str  # what configures it; equal keys after equal prefixes give equal images
    fn: Callable[[torch.Tensor], torch.Tensor]
    # The same stage writing into a given tensor (no autograd): lets a renderer fill its outputs in place.
    into: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None


def static_steps(spec: ViewSpec, params: dict[str, torch.Tensor], pattern: str) -> list[Step]:
    """The steps of view ``spec`` with camera tensors ``params`` (black_level, white_balance, colour_matrix)."""
    sharpen, denoise = SHARPENINGS.get(spec.sharpening), DENOISINGS.get(spec.denoising)
    return [
        Step("black_level", "black_level", lambda x: subtract_black_level(x, params["black_level"])),
        Step("demosaic", f"demosaic={spec.demosaic}", lambda x: demosaic(x, pattern, spec.demosaic)),
        Step("white_balance", "white_balance", lambda x: white_balance(x, params["white_balance"])),
        Step("colour_matrix", "colour_matrix", lambda x: colour_matrix(x, params["colour_matrix"])),
        Step("sharpening", f"sharpening={spec.sharpening}", lambda x: on_luma(x, sharpen)),
        Step("denoising", f"denoising={spec.denoising}", lambda x: on_luma(x, denoise)),
        Step("clip", "clip", lambda x: clip(x, 0.0, 1.0), lambda x, out: clip(x, 0.0, 1.0, out=out)),
        Step("gamma", "gamma", lambda x: gamma_correct(x, GAMMA), lambda x, out: gamma_correct(x, GAMMA, out=out)),
    ]


def run_steps(raw: torch.Tensor, steps: list[Step]) -> Iterator[tuple[str, torch.Tensor]]:
    yield "raw", raw
    x = raw
    for step in steps:
        x = step.fn(x)
        yield step.name, x


class StaticISP(TracedPipeline):
    """One static view as a module: raw ``(B, 1, H, W)`` normalised → view ``(B, 3, H, W)`` in [0, 1].

    Camera parameters are buffers (they move with ``.to(device)``), never learned.
    """

    def __init__(self, view: str | ViewSpec, camera: IspCamera):
        super().__init__()
        self.spec = view if isinstance(view, ViewSpec) else VIEWS.get(view)
        self.pattern = camera.pattern
        for name, t in camera.tensors().items():
            self.register_buffer(name, t)

    def stages(self, raw: torch.Tensor) -> Iterator[tuple[str, torch.Tensor]]:
        check_image(raw, "raw", 1, even=True)
        params = {"black_level": self.black_level, "white_balance": self.white_balance,
                  "colour_matrix": self.colour_matrix}
        return run_steps(raw, static_steps(self.spec, params, self.pattern))

    def extra_repr(self) -> str:
        return f"view={self.spec.name!r}, pattern={self.pattern!r}"

