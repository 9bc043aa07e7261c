"""Bright-field stain rendering by Beer–Lambert optical density.

A stained specimen transmits, per colour channel c,

    T_c = 10 ** ( − Σ_k  C_k · OD_k,c )

with C_k the (relative) concentration map of stain k and OD_k the stain's optical density per unit
concentration in R, G, B. The May-Grünwald-Giemsa stain is modelled with scikit-image's Giemsa vectors
(``skimage.color.rgb_from_gdx``): methyl blue [0.8348, 0.5136, 0.1963] and eosin [0.0928, 0.9541, 0.2831].

Eosinophil granules stain red-orange, a colour the two Giemsa vectors cannot mix (eosin alone gives a
magenta-pink, methyl blue absorbs red): they get a third absorber ``granule_orange`` that absorbs green and
blue — a spectral approximation (*unverified*), documented here so it can be overridden.

The scene convention is linear relative radiance: 1 = the unobstructed illumination, so a transmittance is
the scene value directly when the illumination is 1.
"""

from __future__ import annotations

import torch

from physical.checks import InputError

__all__ = ["STAINS", "stain_vector", "transmittance"]

# OD per unit concentration (R, G, B); Giemsa vectors from scikit-image (rgb_from_gdx), unit-normalised there.
STAINS: dict[str, tuple[float, float, float]] = {
    "methyl_blue": (0.8348, 0.5136, 0.1963),
    "eosin": (0.0928, 0.9541, 0.2831),
    # eosinophil granules: red-orange, absorbs green and blue (unverified approximation, see module docstring)
    "granule_orange": (0.05, 0.62, 0.78),
}


def stain_vector(name: str) -> torch.Tensor:
    if name not in STAINS:
        raise InputError(f"unknown stain {name!r}; expected one of: {', '.join(sorted(STAINS))}")
    return torch.tensor(STAINS[name], dtype=torch.float32)


def transmittance(concentrations: dict[str, torch.Tensor], illumination: torch.Tensor | float = 1.0) -> torch.Tensor:
    """Transmitted radiance ``(3, H, W)`` from stain concentration maps ``{name: (H, W)}`` (≥ 0).

    >>> t = transmittance({"eosin": torch.ones(1, 1)})
    >>> [round(v, 3) for v in t.flatten().tolist()]
    [0.808, 0.111, 0.521]
    """
    od = None
    for name, c in concentrations.items():
        term = stain_vector(name).view(3, 1, 1) * c.clamp(min=0).unsqueeze(0)
        od = term if od is None else od + term
    if od is None:
        raise InputError("expected at least one stain concentration map")
    illum = torch.as_tensor(illumination, dtype=torch.float32)
    if illum.ndim == 1:
        illum = illum.view(3, 1, 1)
    return illum * torch.pow(10.0, -od)
