"""Procedural blood-smear scenes: a field of red cells with one centred leukocyte of a chosen class.

Bright field, May-Grünwald-Giemsa. Every structure is a stain-concentration map; the scene is the
Beer–Lambert transmittance (:mod:`semantic.stain`), i.e. linear relative radiance in [0, 1] with 1 = the
unobstructed illumination. Morphology per class follows DOMAIN.md ("Scenes for the semantic layer"):

- red cells ≈ 7.5 µm biconcave discs, central pallor 30–45 % of the diameter, salmon (eosin-dominated);
- the leukocyte's size, nucleus shape (lobes joined by strands, band/horseshoe, round, kidney, smudge,
  pyknotic), chromatin density/texture, cytoplasm colour and granules (fine lilac, large orange-red,
  coarse blue-black over the nucleus, large purple) per :data:`MORPHOLOGY`.

Scale: ``pixel_nm`` nanometres per pixel, 162.5 nm by default (40× objective on 6.5 µm pixels), so a red
cell is ≈ 46 px across and a 256×256 field covers 41.6 µm. Rendering at a smaller size with a larger pixel
(same field of view) is how the diffusion models get their training data.

Randomness: each scene draws everything from its own ``torch.Generator``, so scene *i* is the same whatever
the batch. Limits: a smear is a 2-D stain map, not an optical model of a thick specimen (no defocus, no
refraction halos); stain concentrations are hand-set to give the textbook colours (*unverified*).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch

from physical.checks import InputError, check_choice
from semantic import raster
from semantic.stain import transmittance

__all__ = ["CellMorphology", "MORPHOLOGY", "CELL_CODES", "SmearLayers", "render_smear", "blood_smear", "balanced_codes", "PIXEL_NM"]

PIXEL_NM = 162.5  # object-side sampling of Raw-Microscopy: 6.5 µm pixels / 40×
RED_CELL_UM = 7.5


@dataclass(frozen=True)
class CellMorphology:
    """How one leukocyte class looks. Sizes in µm, concentrations relative (OD per unit in stain.py)."""

    code: str
    name: str
    diameter_um: tuple[float, float]
    nucleus: str  # lobes | band | round | kidney | smudge | pyknotic
    nucleus_fraction: tuple[float, float]  # nucleus extent / cell diameter
    chromatin: tuple[float, float]  # methyl blue, eosin concentration of the nucleus
    texture: float  # chromatin texture amplitude (dense ≈ 0.1, lacy ≈ 0.4)
    cytoplasm: tuple[float, float]  # methyl blue, eosin
    lobes: tuple[int, int] = (1, 1)
    eccentric: float = 0.0  # nucleus offset, fraction of the cell radius
    rim: float = 0.0  # extra methyl blue at the cell edge (dark blue edge)
    scalloped: float = 0.03  # cell outline irregularity (fraction of the radius)
    granules: int = 0  # number of granules
    granule_um: float = 0.3
    granule_stain: tuple[tuple[str, float], ...] = ()
    granules_over_nucleus: bool = False
    vacuoles: int = 0
    nucleoli: int = 0


_FINE_LILAC = (("methyl_blue", 0.18), ("eosin", 0.22))
MORPHOLOGY: dict[str, CellMorphology] = {
    m.code: m
    for m in (
        CellMorphology("NGS", "segmented neutrophil", (10, 16), "lobes", (0.55, 0.7), (1.25, 0.35), 0.12, (0.04, 0.16),
                       lobes=(2, 5), granules=220, granule_um=0.25, granule_stain=_FINE_LILAC),
        CellMorphology("NGB", "band neutrophil", (10, 16), "band", (0.6, 0.72), (1.2, 0.35), 0.12, (0.04, 0.16),
                       granules=220, granule_um=0.25, granule_stain=_FINE_LILAC),
        CellMorphology("LYT", "lymphocyte", (7, 10), "round", (0.8, 0.9), (1.45, 0.3), 0.1, (0.32, 0.02),
                       eccentric=0.06),
        CellMorphology("LYA", "atypical lymphocyte", (12, 17), "round", (0.48, 0.6), (0.95, 0.25), 0.35, (0.32, 0.03),
                       eccentric=0.2, rim=0.55, scalloped=0.1),
        CellMorphology("MON", "monocyte", (14, 20), "kidney", (0.55, 0.68), (0.85, 0.3), 0.4, (0.22, 0.1),
                       eccentric=0.12, vacuoles=7),
        CellMorphology("EOS", "eosinophil", (12, 15), "lobes", (0.5, 0.62), (1.15, 0.3), 0.12, (0.03, 0.12),
                       lobes=(2, 2), granules=120, granule_um=0.55, granule_stain=(("granule_orange", 1.1), ("eosin", 0.35))),
        CellMorphology("BAS", "basophil", (11, 13), "lobes", (0.5, 0.62), (0.9, 0.3), 0.15, (0.08, 0.12),
                       lobes=(2, 3), granules=90, granule_um=0.8, granule_stain=(("methyl_blue", 1.6), ("eosin", 0.45)),
                       granules_over_nucleus=True),
        CellMorphology("KSC", "smudge cell", (9, 18), "smudge", (0.9, 1.0), (0.55, 0.18), 0.45, (0.0, 0.0)),
        CellMorphology("MYO", "myeloblast", (14, 20), "round", (0.75, 0.85), (0.8, 0.28), 0.18, (0.55, 0.03),
                       rim=0.4, nucleoli=3),
        CellMorphology("PMO", "promyelocyte", (15, 21), "round", (0.6, 0.72), (0.85, 0.28), 0.2, (0.55, 0.05),
                       eccentric=0.15, nucleoli=2, granules=90, granule_um=0.45, granule_stain=(("methyl_blue", 0.7), ("eosin", 0.65))),
        CellMorphology("MYB", "myelocyte", (12, 18), "round", (0.5, 0.62), (1.0, 0.32), 0.2, (0.07, 0.22),
                       eccentric=0.3, granules=140, granule_um=0.25, granule_stain=(("eosin", 0.25), ("methyl_blue", 0.08))),
        CellMorphology("MMZ", "metamyelocyte", (10, 18), "kidney", (0.55, 0.65), (1.05, 0.32), 0.2, (0.06, 0.2),
                       eccentric=0.1),
        CellMorphology("EBO", "erythroblast", (8, 15), "pyknotic", (0.35, 0.48), (1.7, 0.35), 0.06, (0.14, 0.3)),
    )
}
CELL_CODES: tuple[str, ...] = tuple(MORPHOLOGY)


class SmearLayers(NamedTuple):
    """One rendered smear: the scene ``(3, H, W)`` and the leukocyte's coverage maps ``(H, W)`` in [0, 1]."""

    scene: torch.Tensor
    cell: torch.Tensor
    nucleus: torch.Tensor
    granules: torch.Tensor


def _u(g: torch.Generator, lo: float = 0.0, hi: float = 1.0, n: int | None = None):
    v = torch.rand(() if n is None else (n,), generator=g) * (hi - lo) + lo
    return float(v) if n is None else v


def _nucleus(m: CellMorphology, y, x, cy, cx, radius_px: float, g: torch.Generator) -> torch.Tensor:
    """Coverage of the nucleus, centred near (cy, cx), overall extent ≈ ``radius_px``."""
    kind = m.nucleus
    if kind in ("round", "pyknotic"):
        return raster.polar_blob(y, x, cy, cx, radius_px, _u(g, 0, 0.05, 3), _u(g, 0, 2 * math.pi, 3), aspect=_u(g, 1.0, 1.15), angle=_u(g, 0, math.pi))
    if kind == "smudge":
        blob = raster.polar_blob(y, x, cy, cx, radius_px, _u(g, 0.05, 0.18, 4), _u(g, 0, 2 * math.pi, 4), aspect=_u(g, 1.1, 1.6), angle=_u(g, 0, math.pi))
        return blob
    if kind == "kidney":
        angle = _u(g, 0, 2 * math.pi)
        body = raster.polar_blob(y, x, cy, cx, radius_px, _u(g, 0, 0.05, 3), _u(g, 0, 2 * math.pi, 3), aspect=1.25, angle=angle + math.pi / 2)
        depth = 0.45 if m.code == "MMZ" else 0.6  # metamyelocyte indentation < 1/2
        ic = radius_px * (1.0 + 0.55 - depth)
        notch = raster.disc(y, x, cy + ic * math.sin(angle), cx + ic * math.cos(angle), 0.6 * radius_px)
        return body * (1 - notch)
    if kind == "band":
        start = _u(g, 0, 2 * math.pi)
        span = _u(g, 1.1, 1.5) * math.pi
        r_mid = 0.62 * radius_px
        return raster.arc_band(y, x, cy, cx, r_mid, 0.3 * radius_px, start, span)
    if kind == "lobes":
        n = int(torch.randint(m.lobes[0], m.lobes[1] + 1, (), generator=g))
        start = _u(g, 0, 2 * math.pi)
        span = (0.9 + 0.25 * n) * math.pi / 2 if n > 1 else 0.0
        r_path = 0.55 * radius_px
        lobe_r = radius_px * (0.42 if n == 2 else 0.36 if n == 3 else 0.32)
        cov = torch.zeros_like(y)
        centres = []
        for i in range(n):
            a = start + (span * i / max(n - 1, 1)) + _u(g, -0.1, 0.1)
            rr = r_path * _u(g, 0.85, 1.1)
            centres.append((cy + rr * math.sin(a), cx + rr * math.cos(a)))
        for (ly, lx) in centres:
            lobe = raster.polar_blob(y, x, ly, lx, lobe_r * _u(g, 0.85, 1.1), _u(g, 0, 0.06, 2), _u(g, 0, 2 * math.pi, 2), aspect=1.2, angle=_u(g, 0, math.pi))
            cov = torch.maximum(cov, lobe)
        for (ay, ax), (by, bx) in zip(centres[:-1], centres[1:]):  # thin chromatin strands between lobes
            cov = torch.maximum(cov, raster.capsule(y, x, ay, ax, by, bx, max(0.6, 0.05 * radius_px)))
        return cov
    raise InputError(f"unknown nucleus kind {kind!r}")


def _red_cells(h: int, w: int, px_per_um: float, keep_out: tuple[float, float, float], g: torch.Generator) -> torch.Tensor:
    """Eosin concentration ``(H, W)`` of a field of biconcave red cells that avoid the leukocyte."""
    y, x = raster.grid(h, w)
    r_mean = 0.5 * RED_CELL_UM * px_per_um
    area = h * w
    n_try = int(area / (math.pi * r_mean**2) * 1.6) + 4
    cy0, cx0, r_keep = keep_out
    cys = _u(g, -r_mean, h + r_mean, n_try)
    cxs = _u(g, -r_mean, w + r_mean, n_try)
    rs = r_mean * _u(g, 0.9, 1.1, n_try)
    kept: list[int] = []
    ly, lx, lr = cys.tolist(), cxs.tolist(), rs.tolist()  # Python floats: the rejection loop is scalar work
    min_gap = 1.55 * r_mean
    for i in range(n_try):
        if math.hypot(ly[i] - cy0, lx[i] - cx0) < r_keep + 0.85 * lr[i]:
            continue
        if any(math.hypot(ly[i] - ly[j], lx[i] - lx[j]) < min_gap for j in kept):
            continue
        kept.append(i)
    conc = torch.zeros(h, w)
    if not kept:
        return conc
    idx = torch.tensor(kept)
    cy, cx, r = cys[idx].view(-1, 1, 1), cxs[idx].view(-1, 1, 1), rs[idx].view(-1, 1, 1)
    d = torch.sqrt((y - cy) ** 2 + (x - cx) ** 2)
    cover = raster.soft_inside(d - r, max(0.7, 0.04 * float(r_mean)))
    pallor_frac = _u(g, 0.30, 0.45, len(kept)).view(-1, 1, 1)  # central pallor 30–45 % of the diameter
    pallor = torch.exp(-((d / (pallor_frac * r)) ** 2) * 1.2)
    thickness = cover * (1 - 0.6 * pallor)
    strength = 0.42 * _u(g, 0.85, 1.15, len(kept)).view(-1, 1, 1)
    # overlapping cells add their optical densities
    return (strength * thickness).sum(0)


def render_smear(code: str, generator: torch.Generator, size: int | tuple[int, int] = 256, pixel_nm: float = PIXEL_NM) -> SmearLayers:
    """One smear with a centred leukocyte of class ``code`` (see :data:`CELL_CODES`).

    Returns :class:`SmearLayers`; ``scene`` is ``(3, H, W)`` float32 transmittance in [0, 1].
    """
    check_choice(code, "cell class", MORPHOLOGY)
    h, w = (size, size) if isinstance(size, int) else size
    if h < 8 or w < 8:
        raise InputError(f"expected a smear of at least 8×8 pixels, got {h}×{w}")
    if not pixel_nm > 0:
        raise InputError(f"expected pixel_nm > 0, got {pixel_nm}")
    m = MORPHOLOGY[code]
    g = generator
    px_per_um = 1000.0 / pixel_nm
    y, x = raster.grid(h, w)
    diameter_px = _u(g, *m.diameter_um) * px_per_um
    radius = diameter_px / 2
    cy = (h - 1) / 2 + _u(g, -0.04, 0.04) * h
    cx = (w - 1) / 2 + _u(g, -0.04, 0.04) * w
    edge = max(0.7, 0.02 * radius)

    # leukocyte outline (cytoplasm), slightly irregular; scalloped for atypical lymphocytes
    cell = raster.polar_blob(y, x, cy, cx, radius, m.scalloped * _u(g, 0.5, 1.0, 4), _u(g, 0, 2 * math.pi, 4), aspect=_u(g, 1.0, 1.08), angle=_u(g, 0, math.pi), edge=edge)
    # nucleus, possibly eccentric
    a = _u(g, 0, 2 * math.pi)
    off = m.eccentric * radius
    ny, nx = cy + off * math.sin(a), cx + off * math.cos(a)
    nucleus = _nucleus(m, y, x, ny, nx, 0.5 * diameter_px * _u(g, *m.nucleus_fraction), g) * cell
    if m.nucleus == "smudge":
        cell = torch.maximum(cell, nucleus)
        nucleus = nucleus * (0.6 + 0.4 * raster.smooth_noise(h, w, radius * 0.5, g)[0].clamp(-1, 1).abs())
    # chromatin texture; finer than a pixel it averages out, so its amplitude falls with the pixel size
    grain = 0.08 * radius
    texture = 1 + m.texture * min(1.0, grain) * raster.smooth_noise(h, w, max(1.0, grain), g)[0]

    # granules: points inside the cell (and off the nucleus unless they cover it)
    granules = torch.zeros(h, w)
    if m.granules:
        n = m.granules
        rr = radius * torch.sqrt(_u(g, 0, 0.92, n))
        th = _u(g, 0, 2 * math.pi, n)
        gy, gx = cy + rr * torch.sin(th), cx + rr * torch.cos(th)
        sigma = 0.5 * m.granule_um * px_per_um / 2.0
        granules = raster.splat_gaussians(h, w, gy, gx, sigma, _u(g, 0.7, 1.0, n)).clamp(max=1.5) * cell
        if not m.granules_over_nucleus:
            granules = granules * (1 - nucleus)

    # vacuoles (clear spots in the cytoplasm) and nucleoli (paler spots in the nucleus)
    clear = torch.zeros(h, w)
    for _ in range(m.vacuoles):
        rr, th = radius * math.sqrt(_u(g, 0.2, 0.75)), _u(g, 0, 2 * math.pi)
        clear = torch.maximum(clear, raster.disc(y, x, cy + rr * math.sin(th), cx + rr * math.cos(th), _u(g, 0.25, 0.5) * px_per_um))
    clear = clear * (1 - nucleus)
    pale = torch.zeros(h, w)
    for _ in range(m.nucleoli):
        rr, th = 0.25 * radius * math.sqrt(_u(g)), _u(g, 0, 2 * math.pi)
        pale = torch.maximum(pale, raster.disc(y, x, ny + rr * math.sin(th), nx + rr * math.cos(th), _u(g, 0.5, 0.9) * px_per_um))
    pale = pale * nucleus

    rim = torch.sigmoid((torch.sqrt((y - cy) ** 2 + (x - cx) ** 2) - 0.82 * radius) / edge) * cell
    stain_jitter = _u(g, 0.9, 1.1)
    cyto = cell * (1 - nucleus) * (1 - 0.8 * clear)
    chrom = nucleus * texture.clamp(min=0.2) * (1 - 0.45 * pale)
    conc = {
        "methyl_blue": stain_jitter * (m.cytoplasm[0] * cyto + m.rim * rim * (1 - nucleus) + m.chromatin[0] * chrom),
        "eosin": stain_jitter * (m.cytoplasm[1] * cyto + m.chromatin[1] * chrom),
        "granule_orange": torch.zeros(h, w),
    }
    for stain, c in m.granule_stain:
        conc[stain] = conc[stain] + c * granules

    # red cells around it, faint plasma background
    rbc = _red_cells(h, w, px_per_um, (cy, cx, radius), g)
    plasma = 0.02 + 0.01 * raster.smooth_noise(h, w, max(h, w) / 3, g)[0]
    conc["eosin"] = conc["eosin"] + rbc * (1 - cell) + plasma.clamp(min=0)
    conc["methyl_blue"] = conc["methyl_blue"] + 0.05 * rbc * (1 - cell)
    illumination = torch.tensor([0.96, 0.97, 0.95]) * _u(g, 0.95, 1.0)
    scene = transmittance(conc, illumination).clamp(0, 1).float()
    return SmearLayers(scene, cell, nucleus, granules)


def balanced_codes(n: int, codes: Sequence[str] = CELL_CODES) -> list[str]:
    """``n`` class codes cycling through ``codes`` (sample *i* gets ``codes[i % len(codes)]``)."""
    return [codes[i % len(codes)] for i in range(n)]


def blood_smear(codes: Sequence[str], generators: Sequence[torch.Generator], size: int | tuple[int, int] = 256, pixel_nm: float = PIXEL_NM) -> torch.Tensor:
    """Scenes ``(B, 3, H, W)`` for class ``codes[i]`` drawn from ``generators[i]`` (one per scene)."""
    if len(codes) != len(generators):
        raise InputError(f"expected one generator per scene ({len(codes)}), got {len(generators)}")
    if not codes:
        raise InputError("expected at least one scene")
    return torch.stack([render_smear(c, g, size, pixel_nm).scene for c, g in zip(codes, generators)])
