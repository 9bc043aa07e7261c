"""The 12 static views (3 demosaics × 2 sharpenings × 2 denoisings) and a batched renderer for them.

Names are ``<demosaic>+<sharpening>+<denoising>`` with the seed's names, e.g.
``menon2007+unsharp_masking+median_denoising``; :data:`VIEWS` lists them in the order demosaic, then
sharpening, then denoising. ``fft_denoising`` exists as a stage but is not in the grid (as in the seed).

:func:`render_views` computes several views of the same raw batch and shares every common prefix of their
pipelines: the 12 views need 3 demosaics, 6 sharpenings and 12 denoisings instead of 12 of each.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from physical.checks import check_image, check_range
from physical.isp.camera import IspCamera
from physical.isp.static import ViewSpec, static_steps
from physical.registry import Registry

__all__ = ["VIEWS", "view_names", "get_view", "render_views"]

VIEWS: Registry[ViewSpec] = Registry("view")
for _d in ("bilinear", "malvar2004", "menon2007"):
    for _s in ("sharpening_filter", "unsharp_masking"):
        for _n in ("gaussian_denoising", "median_denoising"):
            _spec = ViewSpec(_d, _s, _n)
            VIEWS.add(_spec.name, _spec)


def view_names() -> list[str]:
    return VIEWS.names()


def get_view(name: str) -> ViewSpec:
    """The view called ``name``; unknown names fail listing the 12."""
    return VIEWS.get(name)


def render_views(raw: torch.Tensor, views: Sequence[str | ViewSpec], camera: IspCamera) -> dict[str, torch.Tensor]:
    """Render ``views`` of ``raw``.

    Args:
        raw: ``(B, 1, H, W)`` float, normalised to [0, 1] (stored DN / (2^stored_bits − 1)), even H, W ≥ 6.
        views: view names (see :data:`VIEWS`) or :class:`ViewSpec` s.
        camera: CFA pattern and camera parameters.
    Returns:
        ``{view name: (B, 3, H, W) in [0, 1]}`` in the order asked.
    """
    check_image(raw, "raw", 1, even=True)
    check_range(raw, "normalised raw", 0.0, 1.0)
    specs = [v if isinstance(v, ViewSpec) else get_view(v) for v in views]
    params = camera.tensors(device=raw.device, dtype=raw.dtype)
    plans = [static_steps(spec, params, camera.pattern) for spec in specs]
    prefixes = [[tuple(s.key for s in plan[: i + 1]) for i in range(len(plan))] for plan in plans]
    done: dict[tuple[str, ...], torch.Tensor] = {}
    out: dict[str, torch.Tensor] = {}
    for v, (spec, plan) in enumerate(zip(specs, plans)):
        x = raw
        for step, prefix in zip(plan, prefixes[v]):
            if prefix not in done:
                done[prefix] = step.fn(x)
            x = done[prefix]
        out[spec.name] = x
        # Keep only the intermediates a later view still shares (memory stays a few images per batch).
        later = {p for ps in prefixes[v + 1 :] for p in ps}
        done = {p: t for p, t in done.items() if p in later}
    return out
