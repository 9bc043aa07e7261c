"""Stage functions: known values, bad input, parity with scipy / scikit-image / kornia, gradients."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from kornia.color import rgb_to_yuv, yuv_to_rgb
from scipy import ndimage
from skimage.filters import unsharp_mask

from physical.checks import InputError
from physical.isp.black_level import subtract_black_level
from physical.isp.border import _by_conv2d, _by_shifted_sums, correlate2d
from physical.isp.colour_matrix import colour_matrix
from physical.isp.denoising import DENOISINGS, fft_denoising, gaussian_denoising, median_denoising
from physical.isp.gamma import clip, gamma_correct
from physical.isp.sharpening import SHARPENINGS, sharpening_filter, unsharp_masking
from physical.isp.white_balance import white_balance
from physical.isp.yuv import on_luma
from tests.physical.isp.natural_images import photo


def _luma_image(size=32):
    return photo("astronaut", 80, 200, size)[:, 1:2]  # (1, 1, s, s) float64


def test_black_level_subtracts_per_site_in_reading_order():
    raw = torch.zeros(1, 1, 4, 4)
    out = subtract_black_level(raw, torch.tensor([1.0, 2.0, 3.0, 4.0]))
    assert out[0, 0].tolist() == [[-1, -2, -1, -2], [-3, -4, -3, -4], [-1, -2, -1, -2], [-3, -4, -3, -4]]


def test_black_level_per_sample(gen):
    raw = torch.rand(2, 1, 4, 6, generator=gen)
    levels = torch.tensor([[0.1, 0.1, 0.1, 0.1], [0.0, 0.2, 0.0, 0.2]])
    out = subtract_black_level(raw, levels)
    torch.testing.assert_close(out[0], raw[0] - 0.1)
    torch.testing.assert_close(out[1, 0, :, 1::2], raw[1, 0, :, 1::2] - 0.2)


@pytest.mark.parametrize("levels, fragment", [(torch.zeros(3), "black levels of shape (4,)"), (torch.zeros(3, 4), "(2, 4)")])
def test_black_level_bad_shapes(levels, fragment):
    with pytest.raises(InputError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        subtract_black_level(torch.zeros(2, 1, 4, 4), levels)


def test_white_balance_and_colour_matrix_known_values():
    rgb = torch.tensor([1.0, 2.0, 3.0]).view(1, 3, 1, 1)
    assert white_balance(rgb, torch.tensor([2.0, 1.0, 0.5])).flatten().tolist() == [2.0, 2.0, 1.5]
    m = torch.tensor([[1.0, 1, 1], [0, 2, 0], [-1, 0, 1]])
    assert colour_matrix(rgb, m).flatten().tolist() == [6.0, 4.0, 2.0]
    with pytest.raises(InputError, match="gains of shape"):
        white_balance(rgb, torch.ones(4))
    with pytest.raises(InputError, match="colour matrix of shape"):
        colour_matrix(rgb, torch.ones(9))
    with pytest.raises(InputError, match=r"\(B, 3, H, W\)"):
        colour_matrix(torch.ones(1, 1, 2, 2), m)


def test_on_luma_equals_the_kornia_yuv_round_trip(gen):
    rgb = torch.rand(2, 3, 8, 8, generator=gen, dtype=torch.float64)
    op = lambda y: y**2 + 0.1  # noqa: E731
    yuv = rgb_to_yuv(rgb)
    expected = yuv_to_rgb(torch.cat([op(yuv[:, :1]), yuv[:, 1:]], dim=1))
    torch.testing.assert_close(on_luma(rgb, op), expected, atol=1e-12, rtol=0)


def test_stencil_correlation_equals_conv2d_with_reflect_padding(gen):
    x = torch.rand(2, 3, 9, 11, generator=gen, dtype=torch.float64)
    k = torch.rand(5, 3, generator=gen, dtype=torch.float64)
    k[1, 1] = 0.0  # zero taps are skipped, must not matter
    ref = F.conv2d(F.pad(x, (1, 1, 2, 2), mode="reflect"), k.expand(3, 1, 5, 3), groups=3)
    torch.testing.assert_close(correlate2d(x, k), ref, atol=1e-12, rtol=0)
    torch.testing.assert_close(correlate2d(x, k.requires_grad_()), ref, atol=1e-12, rtol=0)
    # the CUDA branch (conv2d) computes the same correlation; run it here on the CPU
    padded = F.pad(x, (1, 1, 2, 2), mode="reflect")
    torch.testing.assert_close(_by_conv2d(padded, k), _by_shifted_sums(padded, k), atol=1e-12, rtol=0)
    with torch.no_grad():  # the in-place accumulation used without autograd
        torch.testing.assert_close(correlate2d(x, k), ref, atol=1e-12, rtol=0)
    assert torch.equal(correlate2d(x, torch.zeros(3, 3, dtype=torch.float64)), torch.zeros_like(x))


def test_registries():
    assert SHARPENINGS.names() == ["sharpening_filter", "unsharp_masking"]
    assert DENOISINGS.names() == ["gaussian_denoising", "median_denoising", "fft_denoising"]
    with pytest.raises(InputError, match="unknown denoising 'tv'; expected one of: fft_denoising, gaussian_denoising, median_denoising"):
        DENOISINGS.get("tv")


# Parity with the seed's libraries. Filters whose library supports the mirror border are compared on the
# whole image; the others (zero fill, nearest) on the interior.
def test_sharpening_filter_parity():
    y = _luma_image()
    ours = sharpening_filter(y)[0, 0].numpy()
    k = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64)
    np.testing.assert_allclose(ours, ndimage.correlate(y[0, 0].numpy(), k, mode="mirror"), atol=1e-12)


def test_unsharp_masking_parity_with_scikit_image():
    y = _luma_image()
    ours = unsharp_masking(y)[0, 0].numpy()
    ref = unsharp_mask(y[0, 0].numpy(), radius=1.0, amount=1.0, preserve_range=True)
    np.testing.assert_allclose(ours[4:-4, 4:-4], ref[4:-4, 4:-4], atol=1e-12)


def test_gaussian_and_median_denoising_parity_with_scipy_everywhere():
    y = _luma_image()
    np.testing.assert_allclose(gaussian_denoising(y)[0, 0].numpy(),
                               ndimage.gaussian_filter(y[0, 0].numpy(), 0.5, mode="mirror"), atol=1e-12)
    np.testing.assert_array_equal(median_denoising(y)[0, 0].numpy(),
                                  ndimage.median_filter(y[0, 0].numpy(), 3, mode="mirror"))


def test_median_network_on_random_windows(gen):
    x = torch.rand(4, 2, 6, 7, generator=gen)
    ref = F.pad(x, (1, 1, 1, 1), mode="reflect").unfold(2, 3, 1).unfold(3, 3, 1).reshape(4, 2, 6, 7, 9).median(-1).values
    torch.testing.assert_close(median_denoising(x), ref, atol=0, rtol=0)
    with pytest.raises(InputError, match="size 3"):
        median_denoising(x, size=5)


def test_fft_denoising_keeps_low_and_removes_high_horizontal_frequencies():
    cols = torch.arange(32, dtype=torch.float64)
    low = torch.cos(2 * torch.pi * 2 * cols / 32).expand(1, 1, 16, 32)
    high = torch.cos(2 * torch.pi * 14 * cols / 32).expand(1, 1, 16, 32)
    torch.testing.assert_close(fft_denoising(low + 0.5), low + 0.5, atol=1e-12, rtol=0)
    torch.testing.assert_close(fft_denoising(high), torch.zeros_like(high), atol=1e-12, rtol=0)
    with pytest.raises(InputError, match="keep fraction"):
        fft_denoising(low, keep_fraction=0.7)


def test_denoisings_leave_a_flat_image_alone_and_sharpenings_too():
    flat = torch.full((1, 1, 10, 10), 0.3, dtype=torch.float64)
    for fn in [*(DENOISINGS.get(n) for n in DENOISINGS), *(SHARPENINGS.get(n) for n in SHARPENINGS)]:
        torch.testing.assert_close(fn(flat), flat, atol=1e-12, rtol=0)


def test_clip_and_gamma_known_values():
    x = torch.tensor([-0.5, 0.0, 0.25, 1.5])
    assert clip(x).tolist() == [0.0, 0.0, 0.25, 1.0]
    assert gamma_correct(torch.tensor([0.0, 1.0, 0.5**2.2])).tolist() == pytest.approx([0.0, 1.0, 0.5])


# float64 gradcheck of every stage the parametrized pipeline learns through, in its inputs and parameters.
@pytest.mark.parametrize(
    "fn, make_inputs",
    [
        ("black_level", lambda g: (torch.rand(2, 1, 4, 4, generator=g), torch.rand(4, generator=g))),
        ("white_balance", lambda g: (torch.rand(2, 3, 4, 4, generator=g), torch.rand(3, generator=g))),
        ("colour_matrix", lambda g: (torch.rand(2, 3, 4, 4, generator=g), torch.rand(3, 3, generator=g))),
        ("luma_filter", lambda g: (torch.rand(1, 3, 7, 7, generator=g), torch.rand(3, 3, generator=g))),
        ("luma_blur", lambda g: (torch.rand(1, 3, 7, 7, generator=g), torch.rand(5, 5, generator=g))),
        ("clip", lambda g: (torch.rand(1, 3, 4, 4, generator=g) * 0.9 + 0.05,)),
        ("gamma", lambda g: (torch.rand(1, 3, 4, 4, generator=g) + 0.1, torch.tensor(2.2))),
        ("unsharp", lambda g: (torch.rand(1, 1, 10, 10, generator=g),)),
        ("median", lambda g: (torch.rand(1, 1, 6, 6, generator=g),)),
    ],
)
def test_gradcheck_float64(fn, make_inputs, gen):
    fns = {
        "black_level": subtract_black_level,
        "white_balance": white_balance,
        "colour_matrix": colour_matrix,
        "luma_filter": lambda x, k: on_luma(x, lambda y: correlate2d(y, k)),
        "luma_blur": lambda x, k: on_luma(x, lambda y: correlate2d(y, k)),
        "clip": lambda x: clip(x, 1e-5, 1.0),
        "gamma": gamma_correct,
        "unsharp": unsharp_masking,
        "median": median_denoising,
    }
    inputs = tuple(t.double().requires_grad_() for t in make_inputs(gen))
    assert torch.autograd.gradcheck(fns[fn], inputs, fast_mode=True)
