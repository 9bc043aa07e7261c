"""Optics: the point spread function of the device, per colour channel, applied to the scene.

Airy disc of a circular aperture (intensity PSF ``[2 J1(v) / v]^2`` with ``v = π r / (λ N)``, ``r`` on the
sensor, ``N`` the image-side working f-number), integrated over each pixel by 5×5 supersampling, truncated
at its third dark ring and normalised to unit sum; or a Gaussian of given width in pixels.

Border handling: ``replicate`` (the scene is assumed to continue at its edge), the same for every kernel.
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F

from physical.checks import InputError, check_image
from physical.devices import Optics

__all__ = ["airy_psf", "gaussian_psf", "device_psf", "apply_psf", "AIRY_THIRD_ZERO"]

AIRY_FIRST_ZERO = 3.8317  # first zero of J1: radius 1.22 λN
AIRY_THIRD_ZERO = 10.1735  # third zero of J1
_SUPERSAMPLE = 5
# kernels up to this size are applied by direct convolution, larger ones through the FFT (same result
# to float32 rounding; the FFT is ~5x faster for the 15x15 drone PSF)
DIRECT_MAX_KERNEL = 7


def _pixel_grid(radius: int, dtype=torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """Sub-pixel sample coordinates (in pixels) for a (2r+1)² kernel, shape (k, s, k, s)."""
    k = 2 * radius + 1
    sub = (torch.arange(_SUPERSAMPLE, dtype=dtype) + 0.5) / _SUPERSAMPLE - 0.5
    centres = torch.arange(k, dtype=dtype) - radius
    coords = (centres[:, None] + sub[None, :]).reshape(-1)
    y, x = torch.meshgrid(coords, coords, indexing="ij")
    return y, x


def airy_psf(f_number: float, wavelength_nm: float, pixel_pitch_um: float, kernel_size: int = 0) -> torch.Tensor:
    """Pixel-integrated Airy PSF ``(k, k)`` float32, unit sum.

    ``kernel_size`` 0 picks the smallest odd size that holds the disc out to its third dark ring.

    >>> k = airy_psf(8.0, 640.0, 2.4); k.shape, round(float(k.sum()), 6)
    (torch.Size([15, 15]), 1.0)
    """
    scale_px = (wavelength_nm * 1e-3) * f_number / pixel_pitch_um  # λN in pixels
    radius = kernel_size // 2 if kernel_size else max(1, math.ceil(AIRY_THIRD_ZERO / math.pi * scale_px))
    y, x = _pixel_grid(radius)
    v = math.pi * torch.sqrt(x**2 + y**2) / scale_px
    safe = torch.where(v > 0, v, torch.ones_like(v))
    psf = torch.where(v > 0, (2 * torch.special.bessel_j1(safe) / safe) ** 2, torch.ones_like(v))
    psf = torch.where(v <= AIRY_THIRD_ZERO, psf, torch.zeros_like(psf)) if not kernel_size else psf
    k = 2 * radius + 1
    psf = psf.reshape(k, _SUPERSAMPLE, k, _SUPERSAMPLE).mean(dim=(1, 3))
    return (psf / psf.sum()).float()


def gaussian_psf(sigma_px: float, kernel_size: int = 0) -> torch.Tensor:
    """Pixel-integrated Gaussian PSF ``(k, k)`` float32, unit sum; ``kernel_size`` 0 → ±3σ."""
    if sigma_px <= 0:
        raise InputError(f"expected a Gaussian PSF width > 0 px, got {sigma_px}")
    radius = kernel_size // 2 if kernel_size else max(1, math.ceil(3 * sigma_px))
    y, x = _pixel_grid(radius)
    psf = torch.exp(-(x**2 + y**2) / (2 * sigma_px**2))
    k = 2 * radius + 1
    psf = psf.reshape(k, _SUPERSAMPLE, k, _SUPERSAMPLE).mean(dim=(1, 3))
    return (psf / psf.sum()).float()


@functools.lru_cache(maxsize=32)
def device_psf(optics: Optics, pixel_pitch_um: float) -> torch.Tensor | None:
    """Kernels ``(3, k, k)`` for R, G, B (one common odd size), or ``None`` for ``psf="none"``.

    Cached per (optics, pitch): every capture of a device uses the same kernels; callers must not modify them.
    """
    if optics.psf == "none":
        return None
    if optics.psf == "airy":
        kernels = [airy_psf(optics.f_number, wl, pixel_pitch_um, optics.kernel_size) for wl in optics.wavelengths_nm]
    else:
        kernels = [gaussian_psf(s, optics.kernel_size) for s in optics.sigma_px]
    size = max(k.shape[-1] for k in kernels)
    padded = [F.pad(k, [(size - k.shape[-1]) // 2] * 4) for k in kernels]
    return torch.stack(padded)


def apply_psf(scene: torch.Tensor, kernels: torch.Tensor | None) -> torch.Tensor:
    """Blur each channel of ``scene`` ``(B, 3, H, W)`` with its kernel ``(3, k, k)``; same units out.

    Energy-preserving (kernels sum to one), border ``replicate``; differentiable in scene and kernels.
    """
    check_image(scene, "scene", 3)
    if kernels is None:
        return scene
    if kernels.ndim != 3 or kernels.shape[0] != 3 or kernels.shape[-1] % 2 == 0:
        raise InputError(f"expected PSF kernels of shape (3, k, k) with odd k, got {tuple(kernels.shape)}")
    r = kernels.shape[-1] // 2
    padded = F.pad(scene, [r, r, r, r], mode="replicate")
    kernels = kernels.to(scene)
    if kernels.shape[-1] <= DIRECT_MAX_KERNEL:
        weight = kernels[:, None].flip(-1, -2)  # flip: convolution, not correlation
        return F.conv2d(padded, weight, groups=3)
    return _fft_convolve_valid(padded, kernels)


def _fft_convolve_valid(padded: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """'valid' part of the convolution of ``padded`` (B, 3, H+2r, W+2r) with ``kernels`` (3, k, k).

    The kernel is placed with its centre at index (0, 0) (negative offsets wrap around); a circular
    convolution of the padded image is then exact wherever it does not reach the padding's far side, i.e.
    on the central H × W block that is returned.
    """
    hp, wp = padded.shape[-2:]
    k = kernels.shape[-1]
    r = k // 2
    placed = torch.zeros(3, hp, wp, dtype=kernels.dtype, device=kernels.device)
    placed[:, :k, :k] = kernels
    placed = torch.roll(placed, shifts=(-r, -r), dims=(-2, -1))
    spectrum = torch.fft.rfft2(padded) * torch.fft.rfft2(placed)
    full = torch.fft.irfft2(spectrum, s=(hp, wp))
    return full[..., r : hp - r, r : wp - r]
