"""The 12 static views: names, parity with a numpy/scipy/scikit-image reference, distinctness, determinism."""

import itertools

import pytest
import torch

from physical.cfa import mosaic
from physical.checks import InputError
from physical.devices import DEVICES, get_device
from physical.isp.camera import IspCamera
from physical.isp.static import STATIC_STAGES, StaticISP, ViewSpec
from physical.isp.views import VIEWS, get_view, render_views
from tests.physical.isp.natural_images import photo, psnr
from tests.physical.isp.reference_pipeline import reference_view

DRONE = IspCamera.from_device(get_device("drone-l1d-20c"))


def _raw(camera: IspCamera, size=48, name="astronaut", top=100, left=150):
    """A natural photograph mosaiced, scaled into the stored range above the black level: (1, 1, s, s) float64."""
    rgb = photo(name, top, left, size)
    black = torch.tensor(camera.black_level, dtype=torch.float64)
    level = black.reshape(2, 2).repeat(size // 2, size // 2)
    return (level + 0.5 * mosaic(rgb, camera.pattern)[0, 0]).clamp(0, 1)[None, None]


def test_the_twelve_names():
    names = VIEWS.names()
    assert len(names) == 12 and len(set(names)) == 12
    assert names[0] == "bilinear+sharpening_filter+gaussian_denoising"
    assert "menon2007+unsharp_masking+median_denoising" in names
    assert all("fft" not in n for n in names)
    assert {tuple(n.split("+")) for n in names} == set(itertools.product(
        ["bilinear", "malvar2004", "menon2007"], ["sharpening_filter", "unsharp_masking"],
        ["gaussian_denoising", "median_denoising"]))


def test_unknown_view_lists_the_names():
    with pytest.raises(InputError) as exc:
        get_view("bilinear+sharpening_filter+fft")
    assert "unknown view" in str(exc.value) and "menon2007+unsharp_masking+median_denoising" in str(exc.value)
    with pytest.raises(InputError, match="unknown sharpening"):
        ViewSpec("bilinear", "laplace", "median_denoising")


@pytest.mark.parametrize("device_name", DEVICES.names())
def test_whole_views_match_the_reference_pipeline(device_name):
    camera = IspCamera.from_device(get_device(device_name))
    raw = _raw(camera)
    ours = render_views(raw.float(), VIEWS.names(), camera)
    for name in VIEWS.names():
        ref = reference_view(raw[0, 0].numpy(), name, camera.pattern, camera.black_level, camera.white_balance,
                             camera.colour_matrix)
        got = ours[name][0].permute(1, 2, 0).double().numpy()
        assert psnr(got, ref, margin=8) >= 40.0, name


def test_views_are_pairwise_different_and_deterministic():
    raw = _raw(DRONE, 32).float()
    first = render_views(raw, VIEWS.names(), DRONE)
    again = render_views(raw, VIEWS.names(), DRONE)
    for name in VIEWS.names():
        assert torch.equal(first[name], again[name])
    for a, b in itertools.combinations(VIEWS.names(), 2):
        assert (first[a] - first[b]).abs().max() > 1e-3, (a, b)


def test_renderer_equals_one_module_per_view_and_batches_are_independent(gen):
    raw = torch.rand(3, 1, 16, 16, generator=gen) * 0.6 + 0.07
    shared = render_views(raw, VIEWS.names(), DRONE)
    for name in VIEWS.names():
        single = StaticISP(name, DRONE)(raw)
        torch.testing.assert_close(shared[name], single, atol=0, rtol=0)
        torch.testing.assert_close(StaticISP(name, DRONE)(raw[2:]), single[2:], atol=1e-6, rtol=0)


def test_output_range_shape_and_stage_trace(gen):
    raw = torch.rand(2, 1, 12, 16, generator=gen)
    isp = StaticISP("malvar2004+unsharp_masking+median_denoising", DRONE)
    trace = isp.trace(raw)
    assert tuple(trace.names()) == STATIC_STAGES
    assert trace.output.shape == (2, 3, 12, 16) and trace.output.dtype == torch.float32
    assert 0 <= float(trace.output.min()) and float(trace.output.max()) <= 1
    torch.testing.assert_close(trace.output, isp(raw))
    assert float(trace["clip"].min()) >= 0 and trace["black_level"].shape == (2, 1, 12, 16)
    with pytest.raises(KeyError, match="no stage 'sharpen'"):
        trace["sharpen"]


@pytest.mark.parametrize(
    "raw, fragment",
    [
        (torch.rand(1, 1, 15, 16), "even height and width"),
        (torch.rand(1, 3, 16, 16), "(B, 1, H, W)"),
        (torch.rand(1, 1, 16, 16) + 1.0, "values in [0.0, 1.0]"),
        (torch.full((1, 1, 16, 16), float("nan")), "NaN"),
    ],
)
def test_render_views_rejects_bad_raw(raw, fragment):
    with pytest.raises(InputError) as exc:
        render_views(raw, VIEWS.names()[:1], DRONE)
    assert fragment in str(exc.value)


def test_black_level_from_a_simulated_raw_meta():
    from physical.raw import RawMeta

    meta = RawMeta(device="microscope-pco-edge-5.5", cfa_pattern="GRBG", bits=16, stored_bits=16,
                   black_level_dn=100.0, white_level_dn=65535.0, gain_dn_per_e=2.17)
    cam = IspCamera.from_raw_meta(meta, get_device("microscope-pco-edge-5.5"))
    assert cam.pattern == "GRBG" and cam.black_level == pytest.approx((100 / 65535,) * 4)
    with pytest.raises(InputError, match="normalised black level"):
        IspCamera.from_device(get_device("drone-l1d-20c"), black_level=4096.0)


def test_chunked_rendering_on_cpu_equals_the_whole_batch(gen, monkeypatch):
    import physical.isp.views as views

    monkeypatch.setattr(views, "_CPU_CHUNK_PIXELS", 2 * 16 * 24)  # 2 tiles per chunk: chunks of 2, 2 and 1
    raw = torch.rand(5, 1, 16, 24, generator=gen) * 0.6 + 0.07
    names = ["menon2007+unsharp_masking+median_denoising", "bilinear+sharpening_filter+gaussian_denoising"]
    for requires_grad in (False, True):  # in-place output path, and the differentiable one
        out = render_views(raw.clone().requires_grad_(requires_grad), names, DRONE)
        for name in names:
            assert out[name].shape == (5, 3, 16, 24)
            torch.testing.assert_close(out[name], StaticISP(name, DRONE)(raw), atol=1e-5, rtol=0)  # float32 rounding
    assert out[names[0]].requires_grad
