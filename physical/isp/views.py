"""The 12 static views (3 demosaics × 2 sharpenings × 2 denoisings) and a batched renderer for them.

Names are ``<demosaic>+<sharpening>+<denoising>`` with the seed's names, e.g.
``menon2007+unsharp_masking+median_denoising``; :data:`VIEWS` lists them in the order demosaic, then
sharpening, then denoising. ``fft_denoising`` exists as a stage but is not in the grid (as in the seed).

:func:`render_views` computes several views of the same raw batch and shares every common prefix of their
pipelines: the 12 views need 3 demosaics, 6 sharpenings and 12 denoisings instead of 12 of each; on CPU it
works through the batch a few tiles at a time (results do not depend on the batch size).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from physical.checks import check_image, check_range
from physical.isp.camera import IspCamera
from physical.isp.static import VIEWS, ViewSpec, static_steps

__all__ = ["VIEWS", "view_names", "get_view", "render_views"]

# On CPU the stages are memory-bound elementwise passes: rendering a few tiles at a time keeps every
# intermediate in cache (1.6× faster for 32 tiles of 256² than the whole batch at once). GPUs take it whole.
_CPU_CHUNK_PIXELS = 1 << 18


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
    chunk = raw.shape[0] if raw.is_cuda else max(1, _CPU_CHUNK_PIXELS // (raw.shape[-2] * raw.shape[-1]))
    if torch.is_grad_enabled() and raw.requires_grad:  # differentiable: ordinary out-of-place stages
        parts = [_render(raw[i : i + chunk], specs, camera) for i in range(0, raw.shape[0], chunk)]
        return {s.name: torch.cat([p[s.name] for p in parts]) if len(parts) > 1 else parts[0][s.name] for s in specs}
    # Otherwise the last stages write straight into the outputs: no concatenation, no extra allocations.
    out = {s.name: raw.new_empty(raw.shape[0], 3, raw.shape[-2], raw.shape[-1]) for s in specs}
    for i in range(0, raw.shape[0], chunk):
        _render(raw[i : i + chunk], specs, camera, {n: t[i : i + chunk] for n, t in out.items()})
    return out


def _render(raw: torch.Tensor, specs: list[ViewSpec], camera: IspCamera,
            into: dict[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
    params = camera.tensors(device=raw.device, dtype=raw.dtype)
    plans = [static_steps(spec, params, camera.pattern) for spec in specs]
    prefixes = [[tuple(s.key for s in plan[: i + 1]) for i in range(len(plan))] for plan in plans]
    done: dict[tuple[str, ...], torch.Tensor] = {}
    out: dict[str, torch.Tensor] = {}
    for v, (spec, plan) in enumerate(zip(specs, plans)):
        later = {p for ps in prefixes[v + 1 :] for p in ps}
        x = raw
        for step, prefix in zip(plan, prefixes[v]):
            if prefix in done:
                x = done[prefix]
            elif into is not None and step.into is not None and prefix not in later:
                x = done[prefix] = step.into(x, into[spec.name])  # clip, then gamma in place, into the output
            else:
                x = done[prefix] = step.fn(x)
        out[spec.name] = x
        # Keep only the intermediates a later view still shares (memory stays a few images per batch).
        done = {p: t for p, t in done.items() if p in later}
    return out
