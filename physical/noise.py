"""Sensor noise in electrons (EMVA 1288 model) and the device's fixed pattern.

    e = Poisson(photo-electrons · PRNU_map + dark_current · t)   (shot + dark shot, one exact draw)
      + DSNU_map + Normal(0, read_noise²) + row offsets

Shot noise is an exact Poisson draw (``torch.poisson``), unbiased at any count. With ``differentiable=True``
it keeps the exact forward value and passes gradients through the Gaussian reparameterisation
``λ + √λ · z`` with ``z = (n − λ) / √λ`` held fixed: ∂e/∂λ = 1 + z / (2√λ).

The fixed pattern (PRNU gain map, DSNU offset map) belongs to the device instance: it is drawn from the
device's ``fixed_pattern_seed`` alone, so it is identical from frame to frame and independent of the
capture generator. A map is defined per frame size (H, W).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

from physical import draws
from physical.autograd_state import records_grad
from physical.cfa import site_colours
from physical.devices import NoiseSwitches

__all__ = ["FixedPattern", "fixed_pattern", "shot_noise", "sensor_noise"]


@dataclass(frozen=True)
class FixedPattern:
    """Unit-variance maps ``(1, 1, H, W)``; PRNU gain = 1 + prnu · ``prnu_z``, DSNU offset = dsnu_e · ``dsnu_z``."""

    prnu_z: torch.Tensor
    dsnu_z: torch.Tensor


@functools.lru_cache(maxsize=16)
def _fixed_pattern_cpu(seed: int, height: int, width: int) -> FixedPattern:
    g = torch.Generator().manual_seed(seed)
    prnu_z = torch.randn(1, 1, height, width, generator=g)
    dsnu_z = torch.randn(1, 1, height, width, generator=g)
    return FixedPattern(prnu_z, dsnu_z)


def fixed_pattern(seed: int, height: int, width: int, device: torch.device | str = "cpu") -> FixedPattern:
    """The device instance's fixed-pattern maps for an H×W frame (same seed → same maps)."""
    fp = _fixed_pattern_cpu(int(seed), int(height), int(width))
    return FixedPattern(fp.prnu_z.to(device), fp.dsnu_z.to(device))


def shot_noise(rate_e: torch.Tensor, generator: draws.Generators, *, differentiable: bool = False) -> torch.Tensor:
    """Exact Poisson electrons of mean ``rate_e`` (≥ 0); see the module docstring for the gradient."""
    n = draws.poisson(rate_e, generator)
    if not differentiable or not rate_e.requires_grad:
        return n
    root = torch.sqrt(rate_e.clamp_min(1e-12))
    z = ((n - rate_e) / root).detach()
    return rate_e + root * z


def sensor_noise(
    photo_e: torch.Tensor,
    *,
    read_noise_e: float | torch.Tensor,
    dark_e: float | torch.Tensor,
    prnu: float | torch.Tensor,
    dsnu_e: float | torch.Tensor,
    row_noise_e: float | torch.Tensor,
    pattern: FixedPattern,
    switches: NoiseSwitches,
    generator: draws.Generators,
    row_groups: str | None = None,
    differentiable: bool = False,
) -> torch.Tensor:
    """Electrons ``(B, 1, H, W)`` from mean photo-electrons ``photo_e`` ``(B, 1, H, W)``.

    ``row_groups`` names a CFA pattern when the frame was assembled from three filter exposures
    (``filter-sequence``): each filter exposure then has its own row offsets. Draw order is fixed
    (shot, read, row) so a seed always gives the same frame.
    """
    # Without autograd the same arithmetic runs in place on the frame's own buffers: a 224-frame batch
    # then allocates (and page-faults) 3 full-size tensors instead of ~10.
    in_place = not records_grad(photo_e, read_noise_e, dark_e, prnu, dsnu_e, row_noise_e)
    signal = photo_e * (1 + prnu * pattern.prnu_z) if switches.prnu else photo_e.clone()
    if switches.dark_current:
        signal = signal.add_(dark_e) if in_place else signal + dark_e
    rate = signal.clamp_min_(0) if in_place else signal.clamp_min(0)
    e = shot_noise(rate, generator, differentiable=differentiable) if switches.shot else rate
    if switches.dsnu:
        e = e.add_(dsnu_e * pattern.dsnu_z) if in_place else e + dsnu_e * pattern.dsnu_z
    if switches.read:
        noise = draws.randn(e.shape, generator, like=e)
        e = e.add_(noise.mul_(read_noise_e)) if in_place else e + read_noise_e * noise
    if switches.row and float(row_noise_e) > 0:
        b, _, h, w = e.shape
        if row_groups is None:
            offset = draws.randn((b, 1, h, 1), generator, like=e)
        else:  # each filter exposure's rows: a pixel takes the row offset of its colour's exposure
            rows = draws.randn((b, 3, h, 1), generator, like=e)
            offset = torch.empty_like(e)
            for site, c in enumerate(site_colours(row_groups)):
                dy, dx = divmod(site, 2)
                offset[:, 0, dy::2, dx::2] = rows[:, c, dy::2]
        e = e.add_(offset.mul_(row_noise_e)) if in_place else e + row_noise_e * offset
    return e
