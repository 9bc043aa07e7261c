"""capture(scene, device, intensity, generator) → raw: what the device would have recorded.

    scene ─► optics (PSF) ─► CFA (× QE) ─► exposure ─► sensor noise ─► ADC ─► raw (stored DN) + metadata

The continuous numbers of the device travel as tensors (:class:`CaptureParams`), so that
:class:`Capture` can make any of them learnable (an ``nn.Parameter`` instead of a buffer) while sharing
every line of math with :func:`capture`.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from physical import draws, frame_pool
from physical.adc import adc
from physical.autograd_state import records_grad
from physical.cfa import mosaic
from physical.checks import check_image, check_range
from physical.devices import Device
from physical.exposure import expected_electrons, intensity_tensor
from physical.noise import fixed_pattern, sensor_noise
from physical.optics import apply_psf, device_psf
from physical.raw import Raw, RawMeta

__all__ = ["CaptureParams", "capture_params", "capture", "capture_series", "capture_with", "Capture", "raw_meta"]


class CaptureParams(NamedTuple):
    """The device's continuous numbers as tensors (0-d unless noted); gradients may flow to any."""

    psf: torch.Tensor | None  # (3, k, k)
    quantum_efficiency: torch.Tensor  # (3,)
    photons_at_unit_radiance: torch.Tensor
    full_well_e: torch.Tensor
    read_noise_e: torch.Tensor
    dark_e: torch.Tensor  # dark current × exposure time
    prnu: torch.Tensor
    dsnu_e: torch.Tensor
    row_noise_e: torch.Tensor
    gain_dn_per_e: torch.Tensor  # ADC DN per electron
    black_level_dn: torch.Tensor  # ADC DN


def capture_params(device: Device, *, dtype=torch.float32, torch_device=None) -> CaptureParams:
    s, a = device.sensor, device.adc

    def t(v):
        return torch.as_tensor(v, dtype=dtype, device=torch_device)

    psf = device_psf(device.optics, s.pixel_pitch_um)
    return CaptureParams(
        psf=None if psf is None else psf.to(dtype=dtype, device=torch_device),
        quantum_efficiency=t(s.quantum_efficiency),
        photons_at_unit_radiance=t(s.photons_at_unit_radiance),
        full_well_e=t(s.full_well_e),
        read_noise_e=t(s.read_noise_e),
        dark_e=t(s.dark_current_e_per_s * s.exposure_s),
        prnu=t(s.prnu),
        dsnu_e=t(s.dsnu_e),
        row_noise_e=t(s.row_noise_e),
        gain_dn_per_e=t(a.gain_dn_per_e),
        black_level_dn=t(a.black_level_dn),
    )


def raw_meta(device: Device, intensities: tuple[float, ...] = (), *, black_level_dn: float | None = None) -> RawMeta:
    """Metadata of raw frames of ``device`` (levels in stored DN)."""
    shift = device.left_shift
    black = device.adc.black_level_dn if black_level_dn is None else black_level_dn
    return RawMeta(
        device=device.name,
        cfa_pattern=device.cfa.pattern,
        bits=device.adc.bits,
        stored_bits=device.adc.stored_bits,
        black_level_dn=float(black) * 2**shift,
        white_level_dn=float(device.adc_max_dn * 2**shift),
        gain_dn_per_e=float(device.stored_gain_dn_per_e),
        intensities=tuple(float(i) for i in intensities),
    )


def _check_scene(scene: torch.Tensor) -> None:
    check_image(scene, "scene", 3, even=True)
    check_range(scene, "scene", 0.0)  # finite first, then >= 0


def _focal_plane(scene: torch.Tensor, device: Device, params: CaptureParams) -> torch.Tensor:
    """Scene → what each pixel responds to, ``(B, 1, H, W)``: radiance through its filter × QE."""
    _check_scene(scene)
    # optics: per-channel PSF on the radiance field
    blurred = apply_psf(scene, params.psf)
    # CFA: each pixel sees its colour (on-chip filter, or the discarding of three filter exposures),
    # with that channel's quantum efficiency
    return mosaic(blurred * params.quantum_efficiency.reshape(1, 3, 1, 1), device.cfa.pattern)


def _frame_by_frame(response: torch.Tensor, *values) -> bool:
    """Whether to run per frame in the frame pool: on the CPU, when no autograd is recorded.

    Decided by where the data lives and by autograd only, never by the thread count, so a seed gives the
    same bytes on any number of threads (one thread runs the same per-frame calls in turn).
    """
    return response.device.type == "cpu" and not records_grad(response, *values)


def _record(
    response: torch.Tensor,
    device: Device,
    params: CaptureParams,
    intensity: float | torch.Tensor,
    generator: draws.Generators,
    differentiable: bool,
    *,
    repeats: int = 1,
) -> torch.Tensor:
    """Stored DN of ``response.shape[0] · repeats`` frames; frame *i* sees ``response[i // repeats]``.

    On the CPU a single generator is first expanded into one per frame (:func:`physical.draws.per_sample`),
    so a frame's noise is the same however the work is split. Without autograd the frames are then recorded
    one by one in the frame pool (parallel threads), each frame's whole chain (exposure, noise, ADC) at
    once: the same functions on one-frame slices, with the draws of the batched call.
    """
    b = response.shape[0] * repeats
    ratio = intensity_tensor(intensity, b, response)
    generator = draws.per_sample(generator, b, response.device)
    if _frame_by_frame(response, ratio, *params):
        out = torch.empty((b, *response.shape[1:]), dtype=response.dtype)

        def one(i: int) -> None:
            out[i] = _record_frames(response[i // repeats][None], device, params, ratio[i : i + 1], [generator[i]], False)[0]

        frame_pool.map_frames(one, range(b))
        return out
    if repeats > 1:
        response = response.repeat_interleave(repeats, dim=0)
    return _record_frames(response, device, params, ratio, generator, differentiable)


def _record_frames(
    response: torch.Tensor,
    device: Device,
    params: CaptureParams,
    ratio: torch.Tensor,
    generator: draws.Generators,
    differentiable: bool,
) -> torch.Tensor:
    _, _, h, w = response.shape
    # exposure: response × intensity × photons at unit radiance → mean photo-electrons
    photo_e = expected_electrons(response, ratio, params.photons_at_unit_radiance)
    # sensor noise in electrons, with the device instance's fixed pattern
    e = sensor_noise(
        photo_e,
        read_noise_e=params.read_noise_e,
        dark_e=params.dark_e,
        prnu=params.prnu,
        dsnu_e=params.dsnu_e,
        row_noise_e=params.row_noise_e,
        pattern=fixed_pattern(device.sensor.fixed_pattern_seed, h, w, response.device),
        switches=device.noise,
        generator=generator,
        row_groups=device.cfa.pattern if device.cfa.mode == "filter-sequence" else None,
        differentiable=differentiable,
    )
    # ADC: full-well clip, gain, black level, rounding, ADC range, left shift into the container
    return adc(
        e,
        full_well_e=params.full_well_e,
        gain_dn_per_e=params.gain_dn_per_e,
        black_level_dn=params.black_level_dn,
        bits=device.adc.bits,
        left_shift=device.left_shift,
        differentiable=differentiable,
    )


def capture_with(
    scene: torch.Tensor,
    device: Device,
    params: CaptureParams,
    intensity: float | torch.Tensor = 1.0,
    generator: draws.Generators = None,
    *,
    differentiable: bool = False,
) -> torch.Tensor:
    """Stored DN ``(B, 1, H, W)`` float32 of ``scene`` ``(B, 3, H, W)`` (relative radiance ≥ 0, even H, W).

    ``device`` supplies the discrete choices (CFA, bit depth, noise switches, fixed-pattern seed),
    ``params`` the continuous numbers.
    """
    # optics and CFA, then exposure, sensor noise, ADC
    return _record(_focal_plane(scene, device, params), device, params, intensity, generator, differentiable)


def capture(
    scene: torch.Tensor,
    device: Device,
    intensity: float | torch.Tensor = 1.0,
    generator: draws.Generators = None,
    *,
    differentiable: bool = False,
) -> Raw:
    """Raw frames of ``scene`` as ``device`` records them at ``intensity`` (ratio in (0, 1]).

    Args:
        scene: ``(B, 3, H, W)`` float32 linear relative radiance (R, G, B), ≥ 0, even H and W.
        device: a :class:`~physical.devices.Device`.
        intensity: one ratio or ``(B,)`` ratios.
        generator: one ``torch.Generator`` or one per sample (see :mod:`physical.draws`).
        differentiable: straight-through rounding and reparameterised shot noise, so gradients reach the
            scene and the device's continuous parameters.
    Returns:
        :class:`~physical.raw.Raw` with ``data`` ``(B, 1, H, W)`` float32 in stored DN.

    >>> from physical.devices import get_device
    >>> raw = capture(torch.full((1, 3, 4, 4), 0.5), get_device("drone-l1d-20c"), 1.0, torch.Generator().manual_seed(0))
    >>> raw.data.shape, raw.meta.cfa_pattern, int(raw.data.max()) % 16
    (torch.Size([1, 1, 4, 4]), 'RGGB', 0)
    """
    params = capture_params(device, dtype=scene.dtype, torch_device=scene.device)
    data = capture_with(scene, device, params, intensity, generator, differentiable=differentiable)
    b = scene.shape[0]
    if isinstance(intensity, torch.Tensor) and intensity.ndim:
        ratios = tuple(intensity.detach().double().flatten().tolist())
    else:
        ratios = (float(intensity),) * b
    return Raw(data, raw_meta(device, ratios))


def capture_series(
    scene: torch.Tensor,
    device: Device,
    intensities: tuple[float, ...] | list[float],
    generator: draws.Generators = None,
) -> Raw:
    """Each scene at each intensity: ``data`` ``(B·I, 1, H, W)``, scene-major (scene 0 at every intensity,
    then scene 1, ...). The optics run once per scene. ``generator``: one, or one per output frame.
    """
    params = capture_params(device, dtype=scene.dtype, torch_device=scene.device)
    response = _focal_plane(scene, device, params)
    n = len(intensities)
    ratios = torch.tensor(list(intensities), dtype=scene.dtype, device=scene.device).repeat(scene.shape[0])
    data = _record(response, device, params, ratios, generator, False, repeats=n)
    return Raw(data, raw_meta(device, tuple(float(r) for r in intensities) * scene.shape[0]))


class Capture(nn.Module):
    """A device as a module; ``learnable`` names the :class:`CaptureParams` fields to train.

    The others are buffers. ``forward`` runs :func:`capture_with` (the same math as :func:`capture`) with
    ``differentiable=True``.
    """

    def __init__(self, device: Device, learnable: tuple[str, ...] = ()):
        super().__init__()
        unknown = set(learnable) - set(CaptureParams._fields)
        if unknown:
            from physical.checks import InputError

            raise InputError(
                f"unknown capture parameter(s) {sorted(unknown)}; expected some of: {', '.join(CaptureParams._fields)}"
            )
        self.device_config = device
        for name, value in capture_params(device)._asdict().items():
            if value is None:
                self.register_buffer(name, None)
            elif name in learnable:
                setattr(self, name, nn.Parameter(value.clone()))
            else:
                self.register_buffer(name, value.clone())

    def params(self) -> CaptureParams:
        return CaptureParams(**{name: getattr(self, name) for name in CaptureParams._fields})

    def forward(self, scene: torch.Tensor, intensity: float | torch.Tensor = 1.0, generator: draws.Generators = None) -> torch.Tensor:
        return capture_with(scene, self.device_config, self.params(), intensity, generator, differentiable=True)
