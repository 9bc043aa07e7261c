"""Menon, Andriani and Calvagno (2007) "Demosaicing with directional filtering and a posteriori decision"
(DDFAPD), with its refining step.

Step for step the algorithm of ``colour_demosaicing.demosaicing_CFA_Bayer_Menon2007`` (the parity
reference), written for batches in torch: green is interpolated horizontally and vertically, the direction
with the smaller colour-difference gradient (summed over a 5×5 neighbourhood) is kept per pixel, red and
blue follow from colour differences along that direction, and the refining step re-estimates all three
from smoothed colour differences. Differences from the reference, on purpose: every filter uses the ISP's
mirror border (:mod:`physical.isp.border`; the reference zero-pads the direction classifier and mirrors
half-samples in 2-D), so only the outer few pixels can differ.

Differentiable almost everywhere in the raw input: the direction choice is a comparison (piecewise
constant), everything else is linear in the data.
"""

from __future__ import annotations

import torch

from physical.isp.border import correlate2d, correlate_h, correlate_v, pad
from physical.isp.cfa_layout import cfa_layout

__all__ = ["demosaic_menon2007"]

_H_GREEN = torch.tensor([-0.25, 0.5, 0.5, 0.5, -0.25])  # h_0 + h_1 of the paper, one filter
_K_PAIR = torch.tensor([0.5, 0.0, 0.5])
_K_MEAN3 = torch.ones(3, dtype=torch.float64) / 3  # float64, so a float64 image gets an exact 1/3
# Direction classifier of the paper; scipy.ndimage.convolve flips its kernel, we correlate with the flip.
_K_CLASSIFY = torch.tensor(
    [
        [0.0, 0.0, 1.0, 0.0, 1.0],
        [0.0, 0.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 3.0, 0.0, 3.0],
        [0.0, 0.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0, 0.0, 1.0],
    ]
).flip((0, 1))


def demosaic_menon2007(raw: torch.Tensor, pattern: str, refine: bool = True) -> torch.Tensor:
    """``(B, 1, H, W)`` mosaic → ``(B, 3, H, W)`` RGB (same units); H, W ≥ 4."""
    lay = cfa_layout(pattern, raw.shape[-2], raw.shape[-1], device=raw.device)
    taps = {k: v.to(device=raw.device, dtype=raw.dtype) for k, v in
            (("g", _H_GREEN), ("pair", _K_PAIR), ("mean3", _K_MEAN3), ("classify", _K_CLASSIFY))}
    zero = raw.new_zeros(())
    not_green = ~lay.green

    def ch(x):
        return correlate_h(x, taps["pair"])

    def cv(x):
        return correlate_v(x, taps["pair"])

    # Green, interpolated along rows and along columns.
    g_h = torch.where(not_green, correlate_h(raw, taps["g"]), raw)
    g_v = torch.where(not_green, correlate_v(raw, taps["g"]), raw)

    # A posteriori decision: colour-difference gradients two pixels apart, summed over a neighbourhood.
    c_h = torch.where(not_green, raw - g_h, zero)
    c_v = torch.where(not_green, raw - g_v, zero)
    d_h = (c_h - pad(c_h, 0, 0, 0, 2)[..., 2:]).abs()
    d_v = (c_v - pad(c_v, 0, 2, 0, 0)[..., 2:, :]).abs()
    score_h = correlate2d(d_h, taps["classify"])
    score_v = correlate2d(d_v, taps["classify"].T)
    horizontal = score_v >= score_h
    g = torch.where(horizontal, g_h, g_v)

    # Red and blue at green pixels from colour differences to the neighbours of that colour.
    r = torch.where(lay.red, raw, zero)
    b = torch.where(lay.blue, raw, zero)
    g_red_row, g_blue_row = lay.green & lay.red_rows, lay.green & lay.blue_rows
    r = torch.where(g_red_row, g + ch(r) - ch(g), r)
    r = torch.where(g_blue_row, g + cv(r) - cv(g), r)
    b = torch.where(g_blue_row, g + ch(b) - ch(g), b)
    b = torch.where(g_red_row, g + cv(b) - cv(g), b)
    # Red at blue pixels and blue at red pixels, along the chosen direction.
    r = torch.where(lay.blue, torch.where(horizontal, b + ch(r) - ch(b), b + cv(r) - cv(b)), r)
    b = torch.where(lay.red, torch.where(horizontal, r + ch(b) - ch(r), r + cv(b) - cv(r)), b)

    if refine:
        r, g, b = _refine(r, g, b, lay, horizontal, taps)
    return torch.cat([r, g, b], dim=1)


def _refine(r, g, b, lay, horizontal, taps):
    """The paper's refining step (``refining_step_Menon2007``)."""
    zero = r.new_zeros(())

    def along(x, k):  # smooth along the direction chosen at each pixel
        return torch.where(horizontal, correlate_h(x, taps[k]), correlate_v(x, taps[k]))

    # Green at red and blue pixels.
    rg_m = torch.where(lay.red, along(r - g, "mean3"), zero)
    bg_m = torch.where(lay.blue, along(b - g, "mean3"), zero)
    g = torch.where(lay.red, r - rg_m, g)
    g = torch.where(lay.blue, b - bg_m, g)

    # Red and blue at green pixels.
    rg, bg = r - g, b - g
    g_blue_row, g_blue_col = lay.green & lay.blue_rows, lay.green & lay.blue_cols
    g_red_row, g_red_col = lay.green & lay.red_rows, lay.green & lay.red_cols
    rg_m = torch.where(g_blue_row, correlate_v(rg, taps["pair"]), rg_m)
    r = torch.where(g_blue_row, g + rg_m, r)
    rg_m = torch.where(g_blue_col, correlate_h(rg, taps["pair"]), rg_m)
    r = torch.where(g_blue_col, g + rg_m, r)
    bg_m = torch.where(g_red_row, correlate_v(bg, taps["pair"]), bg_m)
    b = torch.where(g_red_row, g + bg_m, b)
    bg_m = torch.where(g_red_col, correlate_h(bg, taps["pair"]), bg_m)
    b = torch.where(g_red_col, g + bg_m, b)

    # Red at blue pixels and blue at red pixels.
    rb = r - b
    r = torch.where(lay.blue, b + torch.where(lay.blue, along(rb, "mean3"), zero), r)
    b = torch.where(lay.red, r - torch.where(lay.red, along(rb, "mean3"), zero), b)
    return r, g, b
