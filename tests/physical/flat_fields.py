"""Simulated EMVA 1288 measurement series: flat-field pairs from dark to past saturation, and a dark pair."""

from __future__ import annotations

import torch

from physical.capture import capture
from physical.devices import Device


def flat_levels(device: Device, n_linear: int = 20, n_top: int = 33) -> list[float]:
    """Scene values from 2 % to 106 % of saturation (dense near the top), plus one far past it."""
    unit_e = device.sensor.photons_at_unit_radiance * device.sensor.quantum_efficiency[1]
    v_sat = device.saturation_e / unit_e
    fractions = torch.linspace(0.02, 0.9, n_linear).tolist() + torch.linspace(0.905, 1.06, n_top).tolist() + [1.4]
    return [v_sat * f for f in fractions]


def flat_series(device: Device, size: int = 256, seed: int = 0):
    """(pairs, dark pair, photons per level) captured with ``device``."""
    g = torch.Generator().manual_seed(seed)
    pairs, photons = [], []
    for v in flat_levels(device):
        raw = capture(torch.full((2, 3, size, size), v), device, 1.0, g).data
        pairs.append((raw[0, 0], raw[1, 0]))
        photons.append(v * device.sensor.photons_at_unit_radiance)
    dark = capture(torch.zeros(2, 3, size, size), device, 1.0, g).data
    return pairs, (dark[0, 0], dark[1, 0]), photons
