"""Procedural aerial tiles at 6 cm ground sampling distance, with the car mask.

A tile is a sequence of parallel strips at a random orientation — vegetation, roads (two lanes with dashed
markings), parking rows (stalls on both sides of an aisle) and roofs — with cars parked in stalls and driving
in lanes. Scales from DOMAIN.md at 6 cm GSD: car 75 × 30 px, parking stall 42 × 85 px, aisle ≈ 100 px,
lane ≥ 58 px, car shadow ≈ 25 px long at 45° sun elevation. A 256-px tile covers 15.4 m. Other GSDs scale
every length by 6 / ``gsd_cm``.

The scene is linear relative radiance (ground reflectance × sun, 1 = a white reflector), ``(3, H, W)``;
the mask ``(1, H, W)`` is 1 where a car's body covers more than half the pixel (its shadow is not car).
Each tile draws everything from its own ``torch.Generator``.

Limits: flat ground, no perspective, one sun direction per tile, hand-set reflectances (*unverified*).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import torch

from physical.checks import InputError
from semantic import raster

__all__ = ["AerialLayers", "render_aerial", "aerial_tiles", "GSD_CM", "CAR_PX", "CAR_COLOURS"]

GSD_CM = 6.0
CAR_PX = (75.0, 30.0)  # length, width at 6 cm GSD
STALL_PX = (42.0, 85.0)
AISLE_PX = 100.0
LANE_PX = 62.0
SHADOW_PX = 25.0

# linear reflectances (R, G, B) of car paints: white, silver, grey, black, red, blue, green, beige
CAR_COLOURS = torch.tensor([
    [0.70, 0.70, 0.68], [0.42, 0.43, 0.44], [0.20, 0.20, 0.21], [0.03, 0.03, 0.035],
    [0.45, 0.04, 0.03], [0.04, 0.09, 0.32], [0.05, 0.16, 0.07], [0.45, 0.38, 0.26],
])


class AerialLayers(NamedTuple):
    scene: torch.Tensor  # (3, H, W)
    mask: torch.Tensor  # (1, H, W) float {0, 1}
    cars: torch.Tensor  # (N, 4): cy, cx, heading (rad), colour index


def _u(g, lo=0.0, hi=1.0, n=None):
    v = torch.rand(() if n is None else (n,), generator=g) * (hi - lo) + lo
    return float(v) if n is None else v


def _ground(kind: str, h: int, w: int, s: float, g: torch.Generator) -> torch.Tensor:
    """Ground reflectance ``(3, H, W)`` of one strip kind, with texture."""
    n = raster.smooth_noise(h, w, 6 * s, g, 3)
    if kind == "vegetation":
        base = torch.tensor([0.05, 0.10, 0.035]) * _u(g, 0.7, 1.3)
        coarse = raster.smooth_noise(h, w, 40 * s, g)
        return base.view(3, 1, 1) * (1 + 0.25 * n[:1] + 0.3 * coarse).clamp(min=0.2)
    if kind == "roof":
        palette = torch.tensor([[0.28, 0.10, 0.06], [0.22, 0.22, 0.23], [0.09, 0.09, 0.10], [0.35, 0.33, 0.30]])
        base = palette[int(torch.randint(0, 4, (), generator=g))] * _u(g, 0.8, 1.2)
        return base.view(3, 1, 1) * (1 + 0.05 * n)
    grey = _u(g, 0.09, 0.16)  # asphalt
    return torch.full((3, 1, 1), grey) * (1 + 0.08 * n[:1] + 0.02 * n)


def render_aerial(generator: torch.Generator, size: int | tuple[int, int] = 256, gsd_cm: float = GSD_CM) -> AerialLayers:
    """One aerial tile with its car mask (see :class:`AerialLayers`)."""
    h, w = (size, size) if isinstance(size, int) else size
    if h < 8 or w < 8:
        raise InputError(f"expected a tile of at least 8×8 pixels, got {h}×{w}")
    if not gsd_cm > 0:
        raise InputError(f"expected gsd_cm > 0, got {gsd_cm}")
    g = generator
    s = GSD_CM / gsd_cm  # pixels per 6-cm pixel
    y, x = raster.grid(h, w)
    theta = _u(g, 0, math.pi)
    c, sn = math.cos(theta), math.sin(theta)
    yc, xc = y - (h - 1) / 2, x - (w - 1) / 2
    u = xc * c + yc * sn  # along the strips
    v = -xc * sn + yc * c  # across the strips
    reach = 0.5 * math.hypot(h, w) + 10 * s

    kinds_p = torch.tensor([0.25, 0.3, 0.35, 0.1])  # vegetation, road, parking, roof
    names = ("vegetation", "road", "parking", "roof")
    ground = torch.zeros(3, h, w)
    paint = torch.zeros(1, h, w)  # white markings coverage
    slots: list[tuple[float, float, float, float]] = []  # (u, v, heading relative to strips, occupancy prob)
    pos = -reach - _u(g, 0, 150 * s)
    while pos < reach:
        kind = names[int(torch.multinomial(kinds_p, 1, generator=g))]
        width = {"vegetation": _u(g, 40, 160), "road": 2 * LANE_PX * _u(g, 1.0, 1.15), "parking": 2 * STALL_PX[1] + AISLE_PX, "roof": _u(g, 90, 220)}[kind] * s
        inside = ((v >= pos) & (v < pos + width)).float()
        ground = ground + inside * _ground(kind, h, w, s, g)
        if kind == "road":
            mid = pos + width / 2
            dash = (torch.remainder(u, 60 * s) < 30 * s).float()
            paint = torch.maximum(paint, inside * dash * raster.soft_inside((v - mid).abs() - 1.2 * s))
            for lane in (pos + width / 4, pos + 3 * width / 4):
                for cu in torch.arange(-reach, reach, 130 * s).tolist():
                    slots.append((cu + _u(g, -20, 20) * s, lane, 0.0 if lane > mid else math.pi, 0.25))
        elif kind == "parking":
            for row, vc in ((0, pos + STALL_PX[1] / 2), (1, pos + width - STALL_PX[1] / 2)):
                edge_v = pos if row == 0 else pos + width - STALL_PX[1]
                band = ((v >= edge_v) & (v < edge_v + STALL_PX[1] * s)).float()
                lines = raster.soft_inside((torch.remainder(u, STALL_PX[0] * s) - 0.5).abs() - 1.0 * s)
                paint = torch.maximum(paint, band * lines)
                stall = STALL_PX[0] * s
                for cu in torch.arange(-math.ceil(reach / stall) * stall, reach, stall).tolist():
                    slots.append((cu + stall / 2, edge_v + STALL_PX[1] * s / 2, math.pi / 2 + (math.pi if row else 0.0), 0.6))
        pos += width
    ground = ground + paint * (0.55 - ground)

    # cars: occupy slots with their probability, keep those that fall on the tile
    sun = _u(g, 0, 2 * math.pi)
    car_len, car_wid = CAR_PX[0] * s * _u(g, 0.92, 1.05), CAR_PX[1] * s * _u(g, 0.95, 1.05)
    cars = []
    for su, sv, head, p in slots:
        if _u(g) >= p:
            continue
        jitter_u, jitter_v, jitter_h = _u(g, -3, 3) * s, _u(g, -3, 3) * s, _u(g, -0.06, 0.06)
        cu, cv = su + jitter_u, sv + jitter_v
        cx = (cu * c - cv * sn) + (w - 1) / 2
        cy = (cu * sn + cv * c) + (h - 1) / 2
        if -car_len / 2 < cx < w + car_len / 2 and -car_len / 2 < cy < h + car_len / 2:
            colour = int(torch.randint(0, len(CAR_COLOURS), (), generator=g))
            cars.append((cy, cx, theta + head + jitter_h, float(colour)))
    scene = ground
    mask = torch.zeros(1, h, w)
    if cars:
        t = torch.tensor(cars)
        cy, cx, hd = t[:, 0].view(-1, 1, 1), t[:, 1].view(-1, 1, 1), t[:, 2].view(-1, 1, 1)
        body = raster.rotated_box(y, x, cy, cx, car_len, car_wid, hd, corner=5 * s)
        dy, dx = SHADOW_PX * s * math.sin(sun), SHADOW_PX * s * math.cos(sun)
        shadow = raster.rotated_box(y, x, cy + dy, cx + dx, car_len, car_wid, hd, corner=6 * s, edge=2.0 * s)
        shadow = shadow.amax(0, keepdim=True)
        scene = scene * (1 - 0.6 * shadow)
        # windshield and rear window: dark glass bands across the body
        cos_h, sin_h = torch.cos(hd), torch.sin(hd)
        along = (x - cx) * cos_h + (y - cy) * sin_h
        glass = ((along > 0.12 * car_len) & (along < 0.3 * car_len)) | ((along < -0.28 * car_len) & (along > -0.4 * car_len))
        paint_rgb = CAR_COLOURS[t[:, 3].long()].view(-1, 3, 1, 1) * _u(g, 0.9, 1.1)
        colour = torch.where(glass.unsqueeze(1), torch.full_like(paint_rgb, 0.03), paint_rgb.expand(-1, 3, 1, 1))
        # later cars cover earlier ones (no overlap in practice: slots are apart)
        for i in range(len(cars)):
            scene = scene * (1 - body[i]) + colour[i] * body[i]
        mask = (body.amax(0, keepdim=True) > 0.5).float()
        cars_t = t
    else:
        cars_t = torch.zeros(0, 4)
    sun_level = _u(g, 0.85, 1.15)
    return AerialLayers((scene * sun_level).clamp(0, 1).float(), mask, cars_t)


def aerial_tiles(generators: Sequence[torch.Generator], size: int | tuple[int, int] = 256, gsd_cm: float = GSD_CM) -> tuple[torch.Tensor, torch.Tensor]:
    """Tiles ``(B, 3, H, W)`` and car masks ``(B, 1, H, W)``, tile *i* drawn from ``generators[i]``."""
    if not generators:
        raise InputError("expected at least one tile")
    layers = [render_aerial(g, size, gsd_cm) for g in generators]
    return torch.stack([l.scene for l in layers]), torch.stack([l.mask for l in layers])
