"""Exposure: scene radiance → expected photo-electrons per pixel.

    electrons = radiance through the pixel's filter × QE of that channel × intensity ratio × photons per pixel
                at unit radiance
"""

from __future__ import annotations

import torch

from physical.checks import InputError

__all__ = ["expected_electrons", "intensity_tensor"]


def intensity_tensor(intensity: float | torch.Tensor, batch: int, like: torch.Tensor) -> torch.Tensor:
    """Intensity ratios as a ``(B, 1, 1, 1)`` tensor; each must lie in (0, 1]."""
    t = torch.as_tensor(intensity, dtype=like.dtype, device=like.device)
    if t.ndim == 0:
        t = t.expand(batch)
    if t.shape != (batch,):
        raise InputError(f"expected one intensity or one per sample ({batch}), got shape {tuple(t.shape)}")
    if not bool(((t > 0) & (t <= 1)).all()):
        raise InputError(f"expected intensity ratios in (0, 1], got {t.tolist()}")
    return t.reshape(batch, 1, 1, 1)


def expected_electrons(
    pixel_response: torch.Tensor,
    intensity: torch.Tensor,
    photons_at_unit_radiance: float | torch.Tensor,
) -> torch.Tensor:
    """Mean photo-electrons ``(B, 1, H, W)``.

    Args:
        pixel_response: ``(B, 1, H, W)`` relative radiance each pixel sees through its colour filter, times
            that channel's quantum efficiency (electrons per photon) — see :func:`physical.capture`.
        intensity: ``(B, 1, 1, 1)`` intensity ratio.
        photons_at_unit_radiance: mean photons per pixel at radiance 1 and intensity 1.
    """
    return pixel_response * (intensity * photons_at_unit_radiance)  # one full-size product, not two
