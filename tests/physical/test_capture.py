import math

import pytest
import torch

from physical.capture import Capture, capture, capture_series
from physical.checks import InputError
from physical.devices import DEVICES, get_device


@pytest.mark.parametrize("name", DEVICES.names())
def test_shape_dtype_meta_and_container(name, gen):
    d = get_device(name)
    raw = capture(torch.rand(2, 3, 16, 12, generator=gen), d, 0.5, gen)
    assert raw.data.shape == (2, 1, 16, 12) and raw.data.dtype == torch.float32
    assert raw.meta.device == name and raw.meta.cfa_pattern == d.cfa.pattern
    assert raw.meta.intensities == (0.5, 0.5)
    assert torch.equal(raw.data, raw.data.round())
    assert torch.equal(raw.data % 2**d.left_shift, torch.zeros_like(raw.data))
    assert float(raw.data.max()) <= d.stored_max_dn and float(raw.data.min()) >= 0


@pytest.mark.parametrize("name", DEVICES.names())
def test_mean_follows_exposure(name):
    d = get_device(name)
    scene = torch.full((1, 3, 64, 64), 0.5)
    for r in (0.05, 0.5):
        raw = capture(scene, d, r, torch.Generator().manual_seed(0))
        e = 0.5 * r * d.sensor.photons_at_unit_radiance * d.sensor.quantum_efficiency[0]
        expected = d.stored_gain_dn_per_e * e + d.stored_black_level_dn
        assert raw.data.mean().item() == pytest.approx(expected, rel=0.01)


def test_same_seed_same_bytes_different_seed_different_noise(gen):
    d = get_device("drone-l1d-20c")
    scene = torch.rand(2, 3, 16, 16, generator=gen)
    a = capture(scene, d, 0.25, torch.Generator().manual_seed(5)).data
    b = capture(scene, d, 0.25, torch.Generator().manual_seed(5)).data
    c = capture(scene, d, 0.25, torch.Generator().manual_seed(6)).data
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_sample_i_does_not_depend_on_the_batch(gen):
    d = get_device("microscope-pco-edge-5.5")
    scene = torch.rand(3, 3, 8, 8, generator=gen)
    seeds = [11, 12, 13]
    batch = capture(scene, d, 1.0, [torch.Generator().manual_seed(s) for s in seeds]).data
    for i, s in enumerate(seeds):
        alone = capture(scene[i : i + 1], d, 1.0, [torch.Generator().manual_seed(s)]).data
        assert torch.equal(batch[i : i + 1], alone)


def test_gradients_reach_scene_and_device_parameters():
    d = get_device("drone-l1d-20c")
    cam = Capture(d, learnable=("gain_dn_per_e", "black_level_dn", "read_noise_e", "quantum_efficiency", "photons_at_unit_radiance"))
    scene = torch.full((2, 3, 16, 16), 0.3, requires_grad=True)
    raw = cam(scene, 1.0, torch.Generator().manual_seed(0))
    # mean and variance: one depends on gain/black/QE, the other on read noise
    loss = raw.mean() + 1e-3 * raw.var()
    loss.backward()
    assert scene.grad is not None and bool(torch.isfinite(scene.grad).all()) and float(scene.grad.sum()) > 0
    for name, p in cam.named_parameters():
        assert p.grad is not None and bool(torch.isfinite(p.grad).all()) and float(p.grad.abs().sum()) > 0, name
    # straight-through ADC: ∂ mean(DN) / ∂K = 16 · mean(electrons) (drone stores ×16)
    cam.zero_grad()
    scene = scene.detach().requires_grad_(True)
    raw = cam(scene, 1.0, torch.Generator().manual_seed(0))
    raw.mean().backward()
    assert bool((scene.grad > 0).all())  # brighter scene, higher mean DN, at every pixel
    e_mean = 0.3 * d.sensor.photons_at_unit_radiance * d.sensor.quantum_efficiency[0]
    assert float(cam.gain_dn_per_e.grad) == pytest.approx(16 * e_mean, rel=0.02)


def test_module_equals_function():
    d = get_device("microscope-pco-edge-5.5")
    scene = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    a = capture(scene, d, 0.5, torch.Generator().manual_seed(1)).data
    b = Capture(d)(scene, 0.5, torch.Generator().manual_seed(1))
    assert torch.equal(a, b)


@pytest.mark.parametrize(
    "scene,intensity,match",
    [
        (torch.full((1, 3, 8, 8), math.nan), 1.0, "NaN"),
        (torch.full((1, 3, 8, 8), -0.1), 1.0, r"values in \[0.0, ...|>= 0"),
        (torch.zeros(3, 8, 8), 1.0, r"\(B, 3, H, W\)"),
        (torch.zeros(1, 4, 8, 8), 1.0, r"\(B, 3, H, W\)"),
        (torch.zeros(1, 3, 7, 8), 1.0, "even height and width"),
        (torch.zeros(1, 3, 8, 8), 0.0, r"\(0, 1\]"),
        (torch.zeros(1, 3, 8, 8), 1.5, r"\(0, 1\]"),
    ],
)
def test_bad_input(scene, intensity, match):
    with pytest.raises(InputError, match=match):
        capture(scene, get_device("drone-l1d-20c"), intensity, torch.Generator())


def test_unknown_device_lists_presets():
    with pytest.raises(InputError, match="drone-l1d-20c, microscope-pco-edge-5.5"):
        get_device("iphone")


def test_series_equals_one_capture_per_intensity(gen):
    d = get_device("drone-l1d-20c")
    scene = torch.rand(2, 3, 16, 16, generator=gen)
    ratios = (0.1, 1.0)
    gens = lambda: [torch.Generator().manual_seed(s) for s in range(4)]  # noqa: E731
    series = capture_series(scene, d, ratios, gens())
    expanded = scene.repeat_interleave(2, dim=0)
    one_by_one = capture(expanded, d, torch.tensor([0.1, 1.0, 0.1, 1.0]), gens())
    assert torch.equal(series.data, one_by_one.data)
    assert series.meta.intensities == (0.1, 1.0, 0.1, 1.0)
