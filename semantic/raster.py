"""Soft raster primitives for procedural scenes: coordinate grids, soft discs, polar blobs, capsules, noise.

All functions are pure functions of tensors. Coverage maps are in [0, 1] with an anti-aliased edge of about
one pixel (``edge`` in pixels), so shapes keep their area at any resolution. Coordinates are in pixels with
the origin at the top-left pixel centre; ``x`` grows to the right and ``y`` downwards.

Random draws (smooth noise, point sets) take an explicit ``torch.Generator``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["grid", "soft_inside", "disc", "polar_blob", "capsule", "arc_band", "smooth_noise", "splat_gaussians", "rotated_box"]


def grid(h: int, w: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel-centre coordinates ``(y, x)``, each ``(H, W)`` float32."""
    ys = torch.arange(h, dtype=torch.float32)
    xs = torch.arange(w, dtype=torch.float32)
    return torch.meshgrid(ys, xs, indexing="ij")


def soft_inside(signed_distance: torch.Tensor, edge: float = 0.7) -> torch.Tensor:
    """Coverage in [0, 1] from a signed distance (pixels, negative inside)."""
    return torch.sigmoid(-signed_distance / max(edge, 1e-3))


def disc(y: torch.Tensor, x: torch.Tensor, cy, cx, radius, edge: float = 0.7) -> torch.Tensor:
    """Coverage of discs; ``cy, cx, radius`` broadcast against ``y, x`` (e.g. ``(N, 1, 1)`` for N discs)."""
    d = torch.sqrt((y - cy) ** 2 + (x - cx) ** 2)
    return soft_inside(d - radius, edge)


def polar_blob(y, x, cy, cx, radius, harmonics: torch.Tensor, phases: torch.Tensor, *, aspect: float = 1.0, angle: float = 0.0, edge: float = 0.7) -> torch.Tensor:
    """An irregular closed shape: r(θ) = radius · (1 + Σ_k a_k cos(kθ + φ_k)), k = 2, 3, ...

    ``harmonics``/``phases``: ``(K,)`` amplitudes (fractions of the radius) and phases; ``aspect`` stretches
    the shape along ``angle`` (radians).
    """
    dy, dx = y - cy, x - cx
    c, s = math.cos(angle), math.sin(angle)
    u = (dx * c + dy * s) / aspect
    v = -dx * s + dy * c
    r = torch.sqrt(u**2 + v**2)
    theta = torch.atan2(v, u)
    k = torch.arange(2, 2 + harmonics.numel(), dtype=torch.float32).view(-1, 1, 1)
    rim = radius * (1 + (harmonics.view(-1, 1, 1) * torch.cos(k * theta + phases.view(-1, 1, 1))).sum(0))
    # scale the radial distance back into pixels along the stretched axis (approximately)
    return soft_inside((r - rim) * min(aspect, 1.0), edge)


def capsule(y, x, y0, x0, y1, x1, radius, edge: float = 0.7) -> torch.Tensor:
    """Coverage of a segment from (y0, x0) to (y1, x1) thickened by ``radius`` (a thin strand or a rod)."""
    py, px = y - y0, x - x0
    vy, vx = y1 - y0, x1 - x0
    L2 = vy * vy + vx * vx + 1e-9
    t = ((py * vy + px * vx) / L2).clamp(0, 1)
    d = torch.sqrt((py - t * vy) ** 2 + (px - t * vx) ** 2)
    return soft_inside(d - radius, edge)


def arc_band(y, x, cy, cx, radius: float, half_width: float, start: float, span: float, edge: float = 0.7) -> torch.Tensor:
    """A band of constant width (parallel sides) along a circular arc: a horseshoe / band nucleus.

    The arc has centre (cy, cx), mid-radius ``radius``, starts at angle ``start`` and spans ``span`` radians;
    its ends are rounded.
    """
    dy, dx = y - cy, x - cx
    r = torch.sqrt(dy**2 + dx**2)
    theta = torch.remainder(torch.atan2(dy, dx) - start, 2 * math.pi)
    on_arc = theta <= span
    d_arc = (r - radius).abs()
    ends = []
    for a in (start, start + span):
        ey, ex = cy + radius * math.sin(a), cx + radius * math.cos(a)
        ends.append(torch.sqrt((y - ey) ** 2 + (x - ex) ** 2))
    d_end = torch.minimum(ends[0], ends[1])
    d = torch.where(on_arc, torch.minimum(d_arc, d_end), d_end)
    return soft_inside(d - half_width, edge)


def rotated_box(y, x, cy, cx, length, width, heading, corner: float = 0.0, edge: float = 0.7) -> torch.Tensor:
    """Coverage of rectangles ``length × width`` (pixels) rotated by ``heading`` (radians), rounded corners.

    Arguments broadcast, e.g. ``(N, 1, 1)`` for N boxes.
    """
    dy, dx = y - cy, x - cx
    c, s = torch.cos(heading), torch.sin(heading)
    u = dx * c + dy * s
    v = -dx * s + dy * c
    qu = u.abs() - (length / 2 - corner)
    qv = v.abs() - (width / 2 - corner)
    outside = torch.sqrt(qu.clamp(min=0) ** 2 + qv.clamp(min=0) ** 2)
    inside = torch.minimum(torch.maximum(qu, qv), torch.zeros_like(qu))
    return soft_inside(outside + inside - corner, edge)


def smooth_noise(h: int, w: int, scale_px: float, generator: torch.Generator, channels: int = 1) -> torch.Tensor:
    """Zero-mean, unit-std smooth noise ``(channels, H, W)`` with correlation length ≈ ``scale_px``.

    White noise on a coarse lattice, upsampled bicubically: cheap and resolution independent.
    """
    gh = max(2, int(math.ceil(h / max(scale_px, 1.0))) + 2)
    gw = max(2, int(math.ceil(w / max(scale_px, 1.0))) + 2)
    coarse = torch.randn(1, channels, gh, gw, generator=generator)
    fine = F.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=True)[0]
    std = fine.std(dim=(1, 2), keepdim=True).clamp(min=1e-6)
    return (fine - fine.mean(dim=(1, 2), keepdim=True)) / std


def splat_gaussians(h: int, w: int, ys: torch.Tensor, xs: torch.Tensor, sigma_px: float, weights: torch.Tensor | None = None) -> torch.Tensor:
    """A density ``(H, W)``: unit-peak Gaussian blobs of width ``sigma_px`` at points (ys, xs) (granules).

    Points are splatted bilinearly onto the pixel lattice and blurred with a normalised Gaussian, then scaled
    so an isolated blob peaks at ≈ 1 whatever its width.
    """
    img = torch.zeros(h * w)
    if ys.numel():
        wts = torch.ones_like(ys) if weights is None else weights
        y0, x0 = ys.floor(), xs.floor()
        for oy in (0, 1):
            for ox in (0, 1):
                yy, xx = y0 + oy, x0 + ox
                wgt = wts * (1 - (ys - yy).abs()) * (1 - (xs - xx).abs())
                ok = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
                img.index_add_(0, (yy[ok] * w + xx[ok]).long(), wgt[ok])
    img = img.view(1, 1, h, w)
    sigma = max(sigma_px, 0.4)
    rad = int(math.ceil(3 * sigma))
    t = torch.arange(-rad, rad + 1, dtype=torch.float32)
    k1 = torch.exp(-0.5 * (t / sigma) ** 2)
    k1 = k1 / k1.sum()
    out = F.conv2d(img, k1.view(1, 1, 1, -1), padding=(0, rad))
    out = F.conv2d(out, k1.view(1, 1, -1, 1), padding=(rad, 0))
    peak = float(k1.max()) ** 2
    # blobs narrower than the lattice keep their integrated density instead of their peak
    return out[0, 0] / peak * min(1.0, sigma_px / sigma) ** 2
