"""EMVA 1288 photon-transfer calibration: measure a camera back from flat-field and dark frame pairs.

For each pair (A, B) of frames at one illumination level and for each CFA site (and all pixels together):

    μ_y  = (mean(A) + mean(B)) / 2                              mean, stored DN
    σ²_y = mean((A − B)²) / 2 − (mean(A) − mean(B))² / 2         temporal variance (fixed pattern cancels)
    s²_y = var_spatial((A + B) / 2) − σ²_y / 2                   spatial (fixed-pattern) variance

From these (EMVA 1288 Release 4.0, "Linear" model):

- system gain K: slope of σ²_y − σ²_y.dark against μ_y − μ_y.dark, least squares through the origin over
  the levels up to 70 % of saturation;
- saturation: the level of maximum temporal variance; saturation capacity μ_e.sat = (μ_y.sat − μ_y.dark) / K.
  By construction this sits below the clip point: the variance starts to fall once the brightest pixels
  (shot noise ≈ 2–3 σ, PRNU spread) reach the clip, i.e. 2–4 % below the full well / ADC clip for the presets.
  When the brightest level is fully clipped (its temporal variance < 5 % of the maximum) the *clip capacity*
  (μ_y.brightest − μ_y.dark) / K — where the output stops rising — is reported as well, and equals the
  preset's full well (or ADC clip) to within the PRNU of the clipped pixels;
- temporal dark noise σ_d = √(σ²_y.dark − q²/12) / K electrons, with q the quantisation step in stored DN
  (1, or 16 for 12-bit values left-justified in 16 bits);
- SNR_max = √μ_e.sat; dynamic range DR = μ_e.sat / σ_d (also in dB, 20 log10);
- DSNU1288 = √s²_y.dark / K electrons; PRNU1288 = √(s²_y.50 − s²_y.dark) / (μ_y.50 − μ_y.dark), at the
  level nearest 50 % of saturation;
- when the mean photon count per pixel of each level is known: responsivity R (slope of μ_y − μ_y.dark
  against μ_p), quantum efficiency η = R / K, and the linearity error LE = (max δ − min δ) / 2, with δ the
  relative deviation (%) from the least-squares line with offset over 5–95 % of saturation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from physical.cfa import PATTERNS, site_colours
from physical.checks import InputError, check_choice

__all__ = ["LevelStats", "ChannelCalibration", "Calibration", "pair_stats", "photon_transfer", "channel_names"]

FIT_FRACTION = 0.70
LINEARITY_RANGE = (0.05, 0.95)


@dataclass(frozen=True)
class LevelStats:
    """Statistics of one frame pair for one channel (stored DN)."""

    mean_dn: float
    temporal_var_dn2: float
    spatial_var_dn2: float
    photons: float | None = None


@dataclass(frozen=True)
class ChannelCalibration:
    channel: str
    gain_dn_per_e: float  # stored DN per electron
    dark_mean_dn: float
    dark_noise_e: float
    dark_noise_is_upper_limit: bool  # σ²_dark below the quantisation floor: σ_d is a bound
    saturation_mean_dn: float
    saturation_capacity_e: float
    clip_capacity_e: float | None  # plateau of a fully clipped level, if one was measured
    snr_max: float
    snr_max_db: float
    dynamic_range: float
    dynamic_range_db: float
    dsnu1288_e: float
    prnu1288_pct: float
    responsivity_dn_per_photon: float | None
    quantum_efficiency: float | None
    linearity_error_pct: float | None
    fit_levels: int
    levels: tuple[LevelStats, ...] = field(repr=False, default=())
    dark: LevelStats | None = field(repr=False, default=None)

    def summary(self) -> dict:
        """The figures without the per-level data."""
        return {k: v for k, v in self.__dict__.items() if k not in ("levels", "dark")}


@dataclass(frozen=True)
class Calibration:
    quantisation_step_dn: float
    channels: dict[str, ChannelCalibration]

    def summary(self) -> dict:
        return {
            "quantisation_step_dn": self.quantisation_step_dn,
            "channels": {k: c.summary() for k, c in self.channels.items()},
        }


def channel_names(pattern: str) -> list[str]:
    """Names of the four sites: R, Gr (green in the red row), Gb, B.

    >>> channel_names("GRBG")
    ['Gr', 'R', 'B', 'Gb']
    """
    colours = site_colours(pattern)
    names = []
    for site, c in enumerate(colours):
        if c != 1:
            names.append("RGB"[c])
        else:
            row = colours[(site // 2) * 2 : (site // 2) * 2 + 2]
            names.append("Gr" if 0 in row else "Gb")
    return names


def _as_frame(x, what: str) -> torch.Tensor:
    t = torch.as_tensor(x, dtype=torch.float64)
    while t.ndim > 2 and t.shape[0] == 1:
        t = t[0]
    if t.ndim != 2:
        raise InputError(f"expected {what} as a single frame of shape (H, W), got {tuple(t.shape)}")
    return t


def pair_stats(a: torch.Tensor, b: torch.Tensor, photons: float | None = None) -> LevelStats:
    """EMVA statistics of one pair of same-size frames (any shape, one channel)."""
    a = a.to(torch.float64).flatten()
    b = b.to(torch.float64).flatten()
    ma, mb = a.mean(), b.mean()
    temporal = ((a - b) ** 2).mean() / 2 - (ma - mb) ** 2 / 2
    avg = (a + b) / 2
    spatial = avg.var(unbiased=True) - temporal / 2
    return LevelStats(float((ma + mb) / 2), float(temporal), float(spatial), photons)


def _split(frame: torch.Tensor, pattern: str | None) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    if pattern is not None:
        h, w = frame.shape
        if h % 2 or w % 2:
            raise InputError(f"expected frames with even height and width for a CFA, got {h}x{w}")
        for site, name in enumerate(channel_names(pattern)):
            dy, dx = divmod(site, 2)
            out[name] = frame[dy::2, dx::2]
    out["all"] = frame
    return out


def _channel(name: str, levels: list[LevelStats], dark: LevelStats, q: float) -> ChannelCalibration:
    levels = sorted(levels, key=lambda s: s.mean_dn)
    sat_index = max(range(len(levels)), key=lambda i: levels[i].temporal_var_dn2)
    sat = levels[sat_index]
    span = sat.mean_dn - dark.mean_dn
    if span <= 0:
        raise InputError(f"channel {name}: flats are not brighter than the darks; check the frame folders")
    x = torch.tensor([s.mean_dn - dark.mean_dn for s in levels], dtype=torch.float64)
    y = torch.tensor([s.temporal_var_dn2 - dark.temporal_var_dn2 for s in levels], dtype=torch.float64)
    fit = (x > 0) & (x <= FIT_FRACTION * span)
    fit[sat_index:] = False
    if int(fit.sum()) < 2:
        raise InputError(
            f"channel {name}: need at least 2 flat levels between dark and 70 % of saturation, got {int(fit.sum())}"
        )
    k = float((x[fit] * y[fit]).sum() / (x[fit] ** 2).sum())
    floor = q * q / 12
    dark_var = dark.temporal_var_dn2 - floor
    upper = dark_var <= 0
    dark_noise = math.sqrt(max(dark_var, floor if upper else dark_var)) / k
    sat_e = span / k
    brightest = levels[-1]
    clipped = brightest.temporal_var_dn2 < 0.05 * sat.temporal_var_dn2 and brightest is not sat
    clip_e = (brightest.mean_dn - dark.mean_dn) / k if clipped else None
    dr = sat_e / dark_noise if dark_noise > 0 else math.inf
    # PRNU at the level nearest 50 % of saturation
    half = min(levels[: sat_index + 1], key=lambda s: abs(s.mean_dn - dark.mean_dn - span / 2))
    prnu = math.sqrt(max(half.spatial_var_dn2 - dark.spatial_var_dn2, 0.0)) / (half.mean_dn - dark.mean_dn) * 100
    dsnu = math.sqrt(max(dark.spatial_var_dn2, 0.0)) / k
    responsivity = qe = linearity = None
    if all(s.photons is not None for s in levels):
        p = torch.tensor([s.photons for s in levels], dtype=torch.float64)
        responsivity = float((x[fit] * p[fit]).sum() / (p[fit] ** 2).sum())
        qe = responsivity / k
        lo, hi = LINEARITY_RANGE
        sel = (x >= lo * span) & (x <= hi * span)
        sel[sat_index + 1 :] = False
        if int(sel.sum()) >= 3:
            design = torch.stack([torch.ones_like(p[sel]), p[sel]], dim=1)
            coef = torch.linalg.lstsq(design, x[sel][:, None]).solution[:, 0]
            line = design @ coef
            delta = (x[sel] - line) / line * 100
            linearity = float((delta.max() - delta.min()) / 2)
    return ChannelCalibration(
        channel=name,
        gain_dn_per_e=k,
        dark_mean_dn=dark.mean_dn,
        dark_noise_e=dark_noise,
        dark_noise_is_upper_limit=upper,
        saturation_mean_dn=sat.mean_dn,
        saturation_capacity_e=sat_e,
        clip_capacity_e=clip_e,
        snr_max=math.sqrt(sat_e),
        snr_max_db=20 * math.log10(math.sqrt(sat_e)),
        dynamic_range=dr,
        dynamic_range_db=20 * math.log10(dr) if math.isfinite(dr) else math.inf,
        dsnu1288_e=dsnu,
        prnu1288_pct=prnu,
        responsivity_dn_per_photon=responsivity,
        quantum_efficiency=qe,
        linearity_error_pct=linearity,
        fit_levels=int(fit.sum()),
        levels=tuple(levels),
        dark=dark,
    )


def photon_transfer(
    flats: Sequence[tuple[torch.Tensor, torch.Tensor]],
    dark: tuple[torch.Tensor, torch.Tensor],
    *,
    cfa_pattern: str | None = "RGGB",
    quantisation_step_dn: float = 1.0,
    photons: Sequence[Sequence[float] | float] | None = None,
) -> Calibration:
    """EMVA 1288 figures from flat-field pairs at several levels and one dark pair.

    Args:
        flats: pairs of frames ``(H, W)`` in stored DN, one pair per illumination level (any order);
            include levels past saturation so that the variance maximum is seen.
        dark: one pair of dark frames at the same exposure time.
        cfa_pattern: Bayer pattern for per-site figures, or ``None`` for a monochrome sensor; the figures
            over all pixels are always given as channel ``"all"``.
        quantisation_step_dn: stored DN per ADC code (2^left_shift).
        photons: per level, the mean photons per pixel — one number, or one per site in reading order —
            for responsivity, quantum efficiency and linearity error; ``None`` skips them.
    Returns:
        :class:`Calibration` with one :class:`ChannelCalibration` per site name and ``"all"``.
    """
    if cfa_pattern is not None:
        check_choice(cfa_pattern, "CFA pattern", PATTERNS)
    if len(flats) < 3:
        raise InputError(f"expected at least 3 flat-field pairs (levels), got {len(flats)}")
    if photons is not None and len(photons) != len(flats):
        raise InputError(f"expected one photon count per flat level ({len(flats)}), got {len(photons)}")
    d0, d1 = (_as_frame(f, "a dark frame") for f in dark)
    shape = d0.shape
    per_channel: dict[str, list[LevelStats]] = {}
    for i, (a, b) in enumerate(flats):
        a, b = _as_frame(a, "a flat frame"), _as_frame(b, "a flat frame")
        if a.shape != shape or b.shape != shape:
            raise InputError(f"flat pair {i} has shapes {tuple(a.shape)}, {tuple(b.shape)}; the darks are {tuple(shape)}")
        pa, pb = _split(a, cfa_pattern), _split(b, cfa_pattern)
        for j, name in enumerate(pa):
            ph = None
            if photons is not None:
                level = photons[i]
                if isinstance(level, (int, float)):
                    ph = float(level)
                else:
                    ph = float(level[j]) if name != "all" else float(sum(level) / len(level))
            per_channel.setdefault(name, []).append(pair_stats(pa[name], pb[name], ph))
    darks = {name: pair_stats(x, y) for (name, x), y in zip(_split(d0, cfa_pattern).items(), _split(d1, cfa_pattern).values())}
    channels = {name: _channel(name, levels, darks[name], quantisation_step_dn) for name, levels in per_channel.items()}
    return Calibration(quantisation_step_dn, channels)
