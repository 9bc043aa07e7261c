import pytest
import torch

from physical.cfa import PATTERNS, assemble_sites, crop_pattern, extract_sites, half_resolution_rgb, mosaic, site_colours
from physical.checks import InputError


@pytest.mark.parametrize("pattern", PATTERNS)
def test_mosaic_then_sites_is_identity(pattern, gen):
    rgb = torch.rand(2, 3, 8, 10, generator=gen)
    raw = mosaic(rgb, pattern)
    sites = extract_sites(raw)
    for site, c in enumerate(site_colours(pattern)):
        dy, dx = divmod(site, 2)
        assert torch.equal(sites[:, site], rgb[:, c, dy::2, dx::2])
    assert torch.equal(assemble_sites(sites), raw)


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("top,left", [(0, 1), (1, 0), (1, 1), (2, 3)])
def test_crop_changes_the_pattern_name(pattern, top, left, gen):
    rgb = torch.rand(1, 3, 12, 12, generator=gen)
    raw = mosaic(rgb, pattern)
    cropped = raw[..., top : top + 8, left : left + 8]
    new = crop_pattern(pattern, top, left)
    assert torch.equal(cropped, mosaic(rgb[..., top : top + 8, left : left + 8], new))
    if (top % 2, left % 2) != (0, 0):
        assert new != pattern


def test_known_crop_names():
    assert crop_pattern("RGGB", 0, 1) == "GRBG"
    assert crop_pattern("RGGB", 1, 0) == "GBRG"
    assert crop_pattern("BGGR", 1, 1) == "RGGB"
    assert crop_pattern("GRBG", 2, 2) == "GRBG"


def test_half_resolution_rgb_by_site():
    rgb = torch.stack([torch.full((4, 4), v) for v in (0.1, 0.5, 0.9)])[None]
    out = half_resolution_rgb(mosaic(rgb, "GBRG"), "GBRG")
    assert out.shape == (1, 3, 2, 2)
    assert torch.allclose(out[0, :, 0, 0], torch.tensor([0.1, 0.5, 0.9]))


def test_bad_input():
    with pytest.raises(InputError, match="one of: BGGR, GBRG, GRBG, RGGB"):
        site_colours("RGBG")
    with pytest.raises(InputError, match="even height and width"):
        mosaic(torch.zeros(1, 3, 5, 4), "RGGB")
    with pytest.raises(InputError, match=r"\(B, 3, H, W\)"):
        mosaic(torch.zeros(3, 4, 4), "RGGB")


def test_raw_crop_moves_the_pattern(gen):
    from physical.capture import capture
    from physical.devices import get_device

    raw = capture(torch.rand(1, 3, 8, 8, generator=gen), get_device("drone-l1d-20c"), 1.0, gen)
    assert raw.crop(0, 1, 4, 4).meta.cfa_pattern == "GRBG"
    assert raw.crop(1, 1, 4, 4).meta.cfa_pattern == "BGGR"
    assert torch.equal(raw.crop(1, 1, 4, 4).data, raw.data[..., 1:5, 1:5])
