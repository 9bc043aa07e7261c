
import numpy as np
import pytest
import scipy.ndimage
import torch

from physical.devices import get_device
from physical.optics import airy_psf, apply_psf, device_psf, gaussian_psf


def test_airy_first_zero_matches_diffraction(tmp_path):
    # f/8 at 640 nm on 0.5 µm "pixels": fine sampling so the ring structure is resolved
    k = airy_psf(8.0, 640.0, 0.5).double()
    c = k.shape[-1] // 2
    profile = k[c, c:]
    first_min = int(torch.argmin(profile[: int(1.6 * 1.22 * 0.64 * 8 / 0.5)]))
    expected = 1.22 * 0.64 * 8 / 0.5  # 12.5 px
    assert abs(first_min - expected) <= 1.0


def test_drone_airy_disc_is_5_pixels():
    # DOMAIN: f/8 Airy disc at ≈ 640 nm = 12.5 µm diameter ≈ 5.2 px of 2.4 µm
    d = get_device("drone-l1d-20c")
    diameter_um = 2 * 1.22 * d.optics.wavelengths_nm[0] * 1e-3 * d.optics.f_number
    assert diameter_um / d.sensor.pixel_pitch_um == pytest.approx(5.2, abs=0.1)
    k = device_psf(d.optics, d.sensor.pixel_pitch_um)
    assert k.shape[0] == 3 and k.shape[-1] % 2 == 1
    assert torch.allclose(k.sum(dim=(1, 2)), torch.ones(3), atol=1e-6)
    # red is wider than blue
    def second_moment(kern):
        r = kern.shape[-1] // 2
        y, x = torch.meshgrid(torch.arange(-r, r + 1.0), torch.arange(-r, r + 1.0), indexing="ij")
        return float((kern * (x**2 + y**2)).sum())
    assert second_moment(k[0]) > second_moment(k[2])


def test_gaussian_psf_width():
    k = gaussian_psf(1.5).double()
    r = k.shape[-1] // 2
    x = torch.arange(-r, r + 1.0, dtype=torch.float64)
    var_x = float((k.sum(0) * x**2).sum())
    assert var_x == pytest.approx(1.5**2 + 1 / 12, rel=0.01)  # + pixel integration


@pytest.mark.parametrize("sigma", [0.7, 3.0])  # 5x5: direct convolution; 19x19: through the FFT
def test_apply_psf_matches_scipy_and_keeps_energy(gen, sigma):
    scene = torch.rand(1, 3, 20, 24, generator=gen)
    kernels = torch.stack([gaussian_psf(s) for s in (sigma, sigma, sigma)])
    kernels[1] = torch.rand(kernels.shape[1:], generator=gen)  # asymmetric: catches a missing flip
    kernels[1] /= kernels[1].sum()
    out = apply_psf(scene, kernels)
    for c in range(3):
        ref = scipy.ndimage.convolve(scene[0, c].double().numpy(), kernels[c].double().numpy(), mode="nearest")
        assert np.allclose(out[0, c].numpy(), ref, atol=1e-5)
    flat = torch.full((1, 3, 16, 16), 0.3)
    assert torch.allclose(apply_psf(flat, kernels), flat, atol=1e-6)


@pytest.mark.parametrize("k", [3, 9])
def test_apply_psf_gradcheck(k):
    scene = torch.rand(1, 3, 6, 6, dtype=torch.float64, requires_grad=True)
    kernels = torch.rand(3, k, k, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(apply_psf, (scene, kernels))
