"""The parametrized ISP: equals the static view it is initialised as, and gradients reach everything."""

import pytest
import torch

from physical.checks import InputError
from physical.devices import DEVICES, get_device
from physical.isp.camera import IspCamera
from physical.isp.parametrized import PARAMETER_GROUPS, ParametrizedConfig, ParametrizedISP
from physical.isp.static import StaticISP

DRONE = IspCamera.from_device(get_device("drone-l1d-20c"))
VIEW = "bilinear+sharpening_filter+gaussian_denoising"


def _raw(gen, b=2, h=16, w=16):
    return torch.rand(b, 1, h, w, generator=gen) * 0.5 + 0.06


@pytest.mark.parametrize("device_name", DEVICES.names())
def test_equals_the_static_view_with_the_same_clip(device_name, gen):
    camera = IspCamera.from_device(get_device(device_name))
    raw = _raw(gen)
    learnable = ParametrizedISP(camera, ParametrizedConfig(clip_low=0.0))
    static = StaticISP(VIEW, camera)
    torch.testing.assert_close(learnable(raw), static(raw), atol=2e-6, rtol=0)


def test_default_differs_from_the_static_view_only_below_the_clip_floor(gen):
    raw = _raw(gen)
    static = StaticISP(VIEW, DRONE).trace(raw)
    ours = ParametrizedISP(DRONE)(raw)
    floor = static["denoising"] < 1e-5
    assert floor.any() and (~floor).any()  # the test image exercises both cases
    torch.testing.assert_close(ours[~floor], static.output[~floor], atol=2e-6, rtol=0)
    torch.testing.assert_close(ours[floor], torch.full_like(ours[floor], 1e-5 ** (1 / 2.2)))


def test_gradients_reach_every_parameter_and_the_raw_input(gen):
    raw = _raw(gen).requires_grad_()
    isp = ParametrizedISP(DRONE, ParametrizedConfig(batch_norm=True, additive_layer=(16, 16)))
    trace = isp.trace(raw).retain_grad()
    (trace.output * torch.linspace(0, 1, 16)).pow(2).mean().backward()
    names = {n for n, _ in isp.named_parameters()}
    assert names == set(PARAMETER_GROUPS)
    for name, p in isp.named_parameters():
        assert p.grad is not None and float(p.grad.abs().sum()) > 0, name
    assert raw.grad is not None and float(raw.grad.abs().sum()) > 0
    for stage in trace.stages:  # every stage image can report the gradient that reached it
        assert stage.image.grad is not None and float(stage.image.grad.abs().sum()) > 0, stage.name
    assert trace.names()[-2:] == ["additive_layer", "batch_norm"]


def test_frozen_pipeline_has_buffers_not_parameters(gen):
    isp = ParametrizedISP(DRONE, learnable=False)
    assert list(isp.parameters()) == [] and isp.parameter_group("gamma_correct") == []
    assert {"black_level", "white_balance", "colour_correction", "gamma_correct"} <= {n for n, _ in isp.named_buffers()}
    torch.testing.assert_close(isp(_raw(gen)), ParametrizedISP(DRONE)(_raw(torch.Generator().manual_seed(1234))))


def test_parameter_groups_and_initial_values():
    isp = ParametrizedISP(DRONE)
    assert isp.parameter_group("additive_layer") == []
    (gamma,) = isp.parameter_group("gamma_correct")
    assert float(gamma.detach()) == pytest.approx(2.2)
    torch.testing.assert_close(isp.colour_correction.detach(), torch.tensor(DRONE.colour_matrix).view(3, 3))
    assert float(isp.gaussian_blur.sum()) == pytest.approx(1.0)
    with pytest.raises(InputError, match="unknown parameter group 'gamma'"):
        isp.parameter_group("gamma")


def test_bad_input():
    isp = ParametrizedISP(DRONE, ParametrizedConfig(additive_layer=(16, 16)))
    with pytest.raises(InputError, match="additive layer is"):
        isp(torch.rand(1, 1, 8, 8))
    with pytest.raises(InputError, match="even height"):
        isp(torch.rand(1, 1, 16, 15))
    with pytest.raises(InputError, match="clip_low"):
        ParametrizedISP(DRONE, ParametrizedConfig(clip_low=1.0))


def test_gradcheck_of_the_whole_pipeline_float64(gen):
    isp = ParametrizedISP(DRONE).double()
    raw = (torch.rand(1, 1, 8, 8, generator=gen, dtype=torch.float64) * 0.3 + 0.2).requires_grad_()
    assert torch.autograd.gradcheck(lambda x: isp(x), (raw,), fast_mode=True)
    params = tuple(isp.parameters())

    def as_function(*values):
        saved = {n: p for n, p in isp.named_parameters()}
        for (n, _), v in zip(saved.items(), values):
            delattr(isp, n)
            setattr(isp, n, v)
        try:
            return isp(raw.detach())
        finally:
            for n, p in saved.items():
                delattr(isp, n)
                isp.register_parameter(n, p)

    assert torch.autograd.gradcheck(as_function, tuple(p.detach().clone().requires_grad_() for p in params), fast_mode=True)
