"""Re-exposure: from one measured raw frame, the frame a true capture at intensity ratio r would give.

A pixel holds ``y = K · (N + R) + b`` with ``N ~ Poisson(λ)`` photo(+dark)-electrons and
``R ~ Normal(0, σ²)`` read noise. A true capture at ratio ``r`` has mean ``r·λ`` and variance
``r·λ + σ²`` electrons. Scaling the measurement alone gives variance ``r²(λ + σ²)``; the missing
``r·λ(1 − r) + σ²(1 − r²)`` is added as fresh Gaussian noise with λ estimated from the pixel itself (clipped
at 0), then the ADC quantises again. This is the *metrological* rescaling the published datasets describe:
signal and noise as a true capture at that intensity, with the device's own gain K — not a digital
multiplication. Dark current (mean ``d``) is not illumination: it keeps its mean and its shot noise.

Limits (documented, tested where measurable):
- the added noise is Gaussian; mean and variance are exact, higher moments at very low counts are not
  those of a Poisson variable (a count of integers could be thinned binomially; a measured frame carries
  read noise, so its counts are not integers);
- fixed-pattern offsets (DSNU) of the measured frame scale with r (their share, (1 − r²)·DSNU², is usually
  far below the shot noise); PRNU scales correctly because it multiplies the signal;
- pixels at saturation (ADC top code, or the full well's code) hold an unknown λ: they are flagged in
  ``saturated`` and re-exposed as if λ were the saturation value, a lower bound.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import torch

from physical import draws
from physical.adc import adc
from physical.checks import InputError, check_image, check_range
from physical.devices import Device
from physical.raw import Raw

__all__ = ["Reexposed", "reexpose", "saturation_dn"]


class Reexposed(NamedTuple):
    raw: Raw  # (B, 1, H, W) stored DN at the new ratio
    saturated: torch.Tensor  # (B, 1, H, W) bool: pixels saturated in the measurement


def saturation_dn(device: Device) -> float:
    """The lowest ADC code (not stored) at which a pixel counts as saturated."""
    full_well_code = round(device.adc.gain_dn_per_e * device.sensor.full_well_e + device.adc.black_level_dn)
    return float(min(device.adc_max_dn, full_well_code))


def reexpose(
    raw: Raw,
    device: Device,
    ratio: float,
    generator: draws.Generators = None,
    *,
    black_level_dn: float | None = None,
) -> Reexposed:
    """Re-expose ``raw`` (measured at ratio 1.0) to ``ratio`` in (0, 1].

    Args:
        raw: :class:`~physical.raw.Raw` with data ``(B, 1, H, W)`` in stored DN of ``device``.
        device: the device that recorded it (gain, read noise, bit depth, dark current).
        ratio: target intensity ratio.
        generator: one generator or one per sample.
        black_level_dn: ADC black level (before shift) of the measurement; default ``raw.meta``'s.
    Returns:
        :class:`Reexposed` — the new raw (meta with the new intensity) and the saturation mask.
    """
    check_image(raw.data, "raw", 1)
    if not (0 < ratio <= 1):
        raise InputError(f"expected a re-exposure ratio in (0, 1], got {ratio}")
    shift = device.left_shift
    if raw.meta.stored_bits != device.adc.stored_bits or raw.meta.bits != device.adc.bits:
        raise InputError(
            f"raw of {raw.meta.bits} bits in {raw.meta.stored_bits} does not match device {device.name!r} "
            f"({device.adc.bits} in {device.adc.stored_bits})"
        )
    check_range(raw.data, "raw stored DN", 0.0, float(device.adc_max_dn * 2**shift))
    draws.check_generators(generator, raw.data.shape[0])
    black = raw.meta.black_level_dn / 2**shift if black_level_dn is None else black_level_dn
    k = device.adc.gain_dn_per_e
    s = device.sensor
    y = raw.data / float(2**shift)
    saturated = y >= saturation_dn(device) - 0.5
    # electrons above black in the measurement: signal + dark + read noise (+ quantisation)
    e = (y - black) / k
    dark = s.dark_current_e_per_s * s.exposure_s if device.noise.dark_current else 0.0
    read_var = s.read_noise_e**2 if device.noise.read else 0.0
    signal = e - dark
    lam = signal.clamp_min(0)
    # scaled mean; the dark mean is not scaled
    mean = ratio * signal + dark
    # missing variance: shot r·λ(1 − r), read σ²(1 − r²), dark shot d(1 − r²)
    missing = ratio * (1 - ratio) * lam + (1 - ratio**2) * (read_var + dark)
    fresh = torch.sqrt(missing) * draws.randn(e.shape, generator, like=e)
    data = adc(
        mean + fresh,
        full_well_e=s.full_well_e,
        gain_dn_per_e=k,
        black_level_dn=black,
        bits=device.adc.bits,
        left_shift=shift,
    )
    meta = dataclasses.replace(raw.meta, intensities=(float(ratio),) * raw.data.shape[0])
    return Reexposed(Raw(data, meta), saturated)
