"""Processing modes: static, parametrized, neural_network (smp U-Net++), none."""

import subprocess
import sys

import pytest
import torch

from physical.cfa import half_resolution_rgb
from physical.checks import InputError
from physical.devices import get_device
from physical.isp.camera import IspCamera
from physical.isp.neural_network import NeuralNetworkISP, unetplusplus
from physical.isp.processing_modes import PROCESSING_MODES, build_processing

DRONE = IspCamera.from_device(get_device("drone-l1d-20c"))


def test_the_four_modes_and_unknown_names():
    assert PROCESSING_MODES.names() == ["static", "parametrized", "neural_network", "none"]
    with pytest.raises(InputError, match="unknown processing mode 'learned'; expected one of"):
        build_processing("learned", DRONE)
    with pytest.raises(InputError, match="needs a view name"):
        build_processing("static", DRONE)
    with pytest.raises(InputError, match="processing mode 'parametrized'"):
        build_processing("parametrized", DRONE, sharpen=3)


def test_static_and_parametrized_through_the_registry(gen):
    raw = torch.rand(1, 1, 8, 8, generator=gen)
    assert build_processing("static", DRONE, view="menon2007+unsharp_masking+median_denoising")(raw).shape == (1, 3, 8, 8)
    assert build_processing("parametrized", DRONE, batch_norm=True).batch_norm is not None


def test_none_mode_is_half_resolution_by_site(gen):
    raw = torch.rand(2, 1, 8, 12, generator=gen)
    out = build_processing("none", DRONE)(raw)
    assert out.shape == (2, 3, 4, 6)
    torch.testing.assert_close(out, half_resolution_rgb(raw, "RGGB"))
    black = build_processing("none", DRONE, subtract_black=True)(raw)
    torch.testing.assert_close(black[:, 0], raw[:, 0, 0::2, 0::2] - DRONE.black_level[0])


def _tiny_network():
    return unetplusplus(encoder_name="resnet18", encoder_depth=3, decoder_channels=(16, 8, 4))


def test_neural_network_mode_full_resolution_and_gradients(gen):
    torch.manual_seed(0)
    isp = build_processing("neural_network", DRONE, network=_tiny_network())
    raw = torch.rand(2, 1, 32, 32, generator=gen).requires_grad_()
    trace = isp.trace(raw)
    assert trace.names() == ["raw", "black_level", "sites", "network", "batch_norm"]
    assert trace["sites"].shape == (2, 4, 16, 16) and trace.output.shape == (2, 3, 32, 32)
    trace.output.square().mean().backward()
    assert float(raw.grad.abs().sum()) > 0
    # the first encoder convolution (it reads the sites) and the output head both learn
    assert float(isp.network.encoder.conv1.weight.grad.abs().sum()) > 0
    assert all(p.grad is not None for p in isp.network.segmentation_head.parameters())


def test_neural_network_size_and_channel_checks():
    isp = NeuralNetworkISP(DRONE, network=_tiny_network())
    with pytest.raises(InputError, match="divisible by 16"):
        isp(torch.rand(1, 1, 24, 32))
    with pytest.raises(InputError, match="12 channels"):
        NeuralNetworkISP(DRONE, network=torch.nn.Conv2d(4, 3, 1), batch_norm=False)(torch.rand(1, 1, 8, 8))


def test_importing_the_isp_does_not_import_smp():
    code = "import sys, physical.isp; assert 'segmentation_models_pytorch' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
