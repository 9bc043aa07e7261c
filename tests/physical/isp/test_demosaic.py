"""Demosaics: shapes, bad input, CFA phases, parity with colour-demosaicing, gradients."""

import pytest
import torch

from physical.cfa import PATTERNS, crop_pattern, mosaic
from physical.checks import InputError
from physical.isp.demosaic import DEMOSAICS, demosaic
from tests.physical.isp.natural_images import photo, psnr
from tests.physical.isp.reference_pipeline import REFERENCE_DEMOSAICS

METHODS = DEMOSAICS.names()
# The thresholds (interior PSNR against colour-demosaicing on natural 8-bit photographs).
MIN_PSNR = {"bilinear": 45.0, "malvar2004": 45.0, "menon2007": 38.0}


def test_registry_lists_the_three_methods():
    assert METHODS == ["bilinear", "malvar2004", "menon2007"]


@pytest.mark.parametrize("method", METHODS)
def test_shape_dtype_and_batch_independence(method, gen):
    raw = torch.rand(3, 1, 16, 12, generator=gen)
    out = demosaic(raw, "GBRG", method)
    assert out.shape == (3, 3, 16, 12) and out.dtype == torch.float32
    # each sample is processed on its own
    torch.testing.assert_close(demosaic(raw[1:2], "GBRG", method), out[1:2])


@pytest.mark.parametrize(
    "raw, pattern, method, fragment",
    [
        (torch.zeros(1, 1, 7, 8), "RGGB", "bilinear", "even height and width"),
        (torch.zeros(1, 3, 8, 8), "RGGB", "bilinear", "(B, 1, H, W)"),
        (torch.zeros(8, 8), "RGGB", "bilinear", "(B, 1, H, W)"),
        (torch.zeros(1, 1, 4, 4), "RGGB", "menon2007", "at least 6"),
        (torch.zeros(1, 1, 8, 8, dtype=torch.int32), "RGGB", "bilinear", "floating-point"),
        (torch.zeros(1, 1, 8, 8), "RGBG", "bilinear", "unknown CFA pattern"),
        (torch.zeros(1, 1, 8, 8), "RGGB", "ahd", "unknown demosaic 'ahd'; expected one of: bilinear, malvar2004, menon2007"),
    ],
)
def test_bad_input_is_rejected_with_a_message(raw, pattern, method, fragment):
    with pytest.raises(InputError) as exc:
        demosaic(raw, pattern, method)
    assert fragment in str(exc.value)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("pattern", PATTERNS)
def test_flat_colour_is_reproduced_everywhere_borders_included(method, pattern):
    # A uniform colour must come back exactly at every pixel: this fails if a CFA phase is read wrongly
    # anywhere, including at the mirrored border.
    colour = torch.tensor([0.7, 0.4, 0.2], dtype=torch.float64).view(1, 3, 1, 1)
    out = demosaic(mosaic(colour.expand(2, 3, 12, 14), pattern), pattern, method)
    torch.testing.assert_close(out, colour.expand_as(out), atol=1e-12, rtol=0)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("pattern", PATTERNS)
def test_parity_with_colour_demosaicing_on_natural_images(method, pattern):
    for name, top, left in (("astronaut", 100, 150), ("chelsea", 60, 160)):
        rgb = photo(name, top, left, 64)
        cfa = mosaic(rgb, pattern)
        ours = demosaic(cfa.float(), pattern, method)[0].permute(1, 2, 0).double().numpy()
        ref = REFERENCE_DEMOSAICS[method](cfa[0, 0].numpy(), pattern)
        assert psnr(ours, ref, margin=8) >= MIN_PSNR[method], (name, method, pattern)


@pytest.mark.parametrize("method", ["bilinear", "malvar2004"])
def test_linear_demosaics_match_the_reference_to_rounding(method):
    rgb = photo("coffee", 100, 200, 48)
    for pattern in PATTERNS:
        cfa = mosaic(rgb, pattern)
        ours = demosaic(cfa, pattern, method)[0].permute(1, 2, 0).numpy()
        ref = REFERENCE_DEMOSAICS[method](cfa[0, 0].numpy(), pattern)
        assert abs(ours - ref)[4:-4, 4:-4].max() < 1e-12


def test_menon_matches_the_reference_where_its_direction_choice_has_no_ties():
    # On 8-bit images the horizontal/vertical scores tie exactly in flat areas, and float summation order
    # decides them; a tiny jitter removes the ties, then the step-for-step port agrees to rounding. (The
    # reference's refining step uses a float32 1/3 filter, hence 1e-7 rather than 1e-12.)
    rgb = photo("astronaut", 100, 150, 48)
    rgb = rgb + 1e-6 * torch.rand(rgb.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for pattern in PATTERNS:
        cfa = mosaic(rgb, pattern)
        ours = demosaic(cfa, pattern, "menon2007")[0].permute(1, 2, 0).numpy()
        ref = REFERENCE_DEMOSAICS["menon2007"](cfa[0, 0].numpy(), pattern)
        assert abs(ours - ref)[10:-10, 10:-10].max() < 1e-7


@pytest.mark.parametrize("method", METHODS)
def test_one_pixel_crop_moves_the_phase(method):
    rgb = photo("astronaut", 120, 170, 34).float()
    full = demosaic(mosaic(rgb[..., :32, :32], "RGGB"), "RGGB", method)
    for top, left in ((0, 1), (1, 0), (1, 1)):
        sub = mosaic(rgb[..., :32, :32], "RGGB")[..., top : top + 30, left : left + 30]
        out = demosaic(sub, crop_pattern("RGGB", top, left), method)
        torch.testing.assert_close(out[..., 8:-8, 8:-8], full[..., top + 8 : top + 22, left + 8 : left + 22],
                                   atol=1e-6, rtol=0)


@pytest.mark.parametrize("method", METHODS)
def test_gradcheck_float64(method, gen):
    raw = torch.rand(1, 1, 8, 8, generator=gen, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: demosaic(x, "GRBG", method), (raw,), fast_mode=True)
