"""Colour filter arrays: Bayer mosaic, site extraction and pattern bookkeeping.

A Bayer pattern is named by its top-left 2×2 block read row by row (``RGGB``, ``BGGR``, ``GRBG``, ``GBRG``).
Kornia's ``CFA.BG`` is ``RGGB`` in this naming (kornia follows OpenCV's naming, which reads a different
2×2 block). Sites are numbered in the same reading order: 0 = (0, 0), 1 = (0, 1), 2 = (1, 0), 3 = (1, 1).
"""

from __future__ import annotations

import torch

from physical.checks import InputError, check_choice, check_image

__all__ = [
    "PATTERNS",
    "site_colours",
    "colour_masks",
    "mosaic",
    "extract_sites",
    "assemble_sites",
    "half_resolution_rgb",
    "crop_pattern",
]

PATTERNS = ("RGGB", "BGGR", "GRBG", "GBRG")
_CHANNEL = {"R": 0, "G": 1, "B": 2}


def site_colours(pattern: str) -> tuple[int, int, int, int]:
    """Channel index (0 = R, 1 = G, 2 = B) of each of the four sites, in reading order.

    >>> site_colours("GRBG")
    (1, 0, 2, 1)
    """
    check_choice(pattern, "CFA pattern", PATTERNS)
    return tuple(_CHANNEL[c] for c in pattern)  # type: ignore[return-value]


def colour_masks(pattern: str, height: int, width: int, *, device=None, dtype=torch.float32) -> torch.Tensor:
    """One-hot masks ``(3, H, W)``: mask[c, y, x] = 1 where the pixel sees colour c."""
    colours = site_colours(pattern)
    masks = torch.zeros(3, height, width, device=device, dtype=dtype)
    for site, c in enumerate(colours):
        dy, dx = divmod(site, 2)
        masks[c, dy::2, dx::2] = 1
    return masks


def mosaic(rgb: torch.Tensor, pattern: str) -> torch.Tensor:
    """Keep, at each pixel, only the channel of the CFA colour there.

    This is also the Raw-Microscopy construction: from three full-resolution filter images keep, from each,
    only the pixels of that colour. Differentiable (strided copies).

    Args:
        rgb: ``(B, 3, H, W)``, any units, H and W even.
        pattern: one of :data:`PATTERNS`.
    Returns:
        ``(B, 1, H, W)`` in the units of ``rgb``.
    """
    check_image(rgb, "rgb image", 3, even=True)
    out = rgb.new_empty((rgb.shape[0], 1, *rgb.shape[-2:]))
    for site, c in enumerate(site_colours(pattern)):  # one strided copy per 2×2 site, differentiable
        dy, dx = divmod(site, 2)
        out[:, 0, dy::2, dx::2] = rgb[:, c, dy::2, dx::2]
    return out


def extract_sites(raw: torch.Tensor) -> torch.Tensor:
    """Split a mosaic ``(B, 1, H, W)`` into its four sites ``(B, 4, H/2, W/2)`` in reading order."""
    check_image(raw, "raw", 1, even=True)
    return torch.stack(
        [raw[:, 0, 0::2, 0::2], raw[:, 0, 0::2, 1::2], raw[:, 0, 1::2, 0::2], raw[:, 0, 1::2, 1::2]], dim=1
    )


def assemble_sites(sites: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`extract_sites`: ``(B, 4, h, w)`` → ``(B, 1, 2h, 2w)``."""
    check_image(sites, "sites", 4)
    # pixel_shuffle puts channel 2*dy + dx at offset (dy, dx): exactly the reading order.
    return torch.nn.functional.pixel_shuffle(sites, 2)


def half_resolution_rgb(raw: torch.Tensor, pattern: str) -> torch.Tensor:
    """Bayer ``(B, 1, H, W)`` → RGB ``(B, 3, H/2, W/2)`` by site: R, mean of the two G, B."""
    sites = extract_sites(raw)
    colours = site_colours(pattern)
    r = sites[:, colours.index(0)]
    b = sites[:, colours.index(2)]
    g_sites = [i for i, c in enumerate(colours) if c == 1]
    g = 0.5 * (sites[:, g_sites[0]] + sites[:, g_sites[1]])
    return torch.stack([r, g, b], dim=1)


def crop_pattern(pattern: str, top: int, left: int) -> str:
    """Name of the pattern after cropping ``top`` rows and ``left`` columns off the image.

    >>> crop_pattern("RGGB", 0, 1), crop_pattern("RGGB", 1, 0), crop_pattern("RGGB", 1, 1)
    ('GRBG', 'GBRG', 'BGGR')
    """
    check_choice(pattern, "CFA pattern", PATTERNS)
    if top < 0 or left < 0:
        raise InputError(f"expected non-negative crop offsets, got top={top}, left={left}")
    block = [pattern[0:2], pattern[2:4]]
    dy, dx = top % 2, left % 2
    rows = [block[(dy + i) % 2] for i in range(2)]
    return "".join(row[(dx + j) % 2] for row in rows for j in range(2))
