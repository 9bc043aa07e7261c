"""Scenes with labels at the requested size, from a diffusion model or the procedural generators.

    labels + per-sample generators ─► diffusion sampling at the model size (or procedural rendering at the
    output size) ─► resize (bicubic in linear radiance; masks bilinear on the soft mask, threshold 0.5)
    ─► scenes (N, 3, S, S) in [0, 1], masks (N, 1, S, S) bool (drone) or None

Procedural scenes are rendered directly at the output size over the published field of view, so no resize
is involved. Sample *i* depends only on generator *i* and label *i*.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch

from physical.checks import InputError
from semantic.diffusion_config import DiffusionConfig
from semantic.domains import FIELD_PX, get_domain
from semantic.resize import resize_mask, resize_scene
from semantic.sampling import DEFAULT_ETA, DEFAULT_GUIDANCE, DEFAULT_STEPS, sample

__all__ = ["Scenes", "generate_scenes", "pixel_scale"]


class Scenes(NamedTuple):
    scenes: torch.Tensor  # (N, 3, S, S) linear [0, 1]
    labels: torch.Tensor | None  # (N,) class indices (microscopy)
    masks: torch.Tensor | None  # (N, 1, S, S) bool (drone)


def generate_scenes(domain: str, generators: Sequence[torch.Generator], size: int, *, labels: torch.Tensor | None = None,
                    model: tuple[DiffusionConfig, object] | None = None, steps: int = DEFAULT_STEPS,
                    guidance: float = DEFAULT_GUIDANCE, sampler: str | None = None, eta: float = DEFAULT_ETA, batch_size: int = 16, on_batch=None) -> Scenes:
    """Generate ``len(generators)`` scenes; ``model`` = (config, unet) or None for procedural scenes;
    ``sampler`` None is the model's default (:func:`semantic.sampling.default_sampler`)."""
    d = get_domain(domain)
    if size < 8 or size % 2:
        raise InputError(f"expected an even output size >= 8, got {size}")
    if d.classes and labels is None:
        raise InputError("expected class labels for microscopy scenes")
    if model is None:
        data, _ = d.procedural(generators, size, labels)
        if on_batch is not None:
            on_batch(len(generators))
        if d.label_kind == "mask":
            return Scenes(data[:, :3], None, data[:, 3:4] > 0.5)
        return Scenes(data, labels, None)
    config, unet = model
    if config.domain != domain:
        raise InputError(f"the model is a {config.domain} model, not {domain}")
    data = sample(unet, config, generators, labels=labels if config.conditional else None, steps=steps,
                  guidance=guidance, sampler=sampler, eta=eta, batch_size=batch_size, on_batch=on_batch)
    scenes = resize_scene(data[:, :3], size)
    masks = resize_mask(data[:, 3:4], size) if d.label_kind == "mask" else None
    return Scenes(scenes, labels if d.classes else None, masks)


def pixel_scale(domain: str, size: int) -> dict:
    """The physical pixel scale of an output of ``size`` px covering the published field of view."""
    if domain == "microscopy":
        return {"pixel_nm": 162.5 * FIELD_PX / size}
    return {"gsd_cm": 6.0 * FIELD_PX / size}
