import pytest
import torch

from physical.capture import capture
from physical.checks import InputError
from physical.devices import DEVICES, get_device
from physical.reexposure import reexpose

RATIOS = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75]


@pytest.mark.parametrize("name", DEVICES.names())
def test_reexposed_flat_matches_a_direct_capture(name):
    d = get_device(name)
    scene = torch.full((1, 3, 512, 512), 0.7)  # 262k pixels: variance estimates to ≈ 0.3 %
    measured = capture(scene, d, 1.0, torch.Generator().manual_seed(0))
    for r in RATIOS:
        re = reexpose(measured, d, r, torch.Generator().manual_seed(1))
        direct = capture(scene, d, r, torch.Generator().manual_seed(2)).data
        assert re.raw.meta.intensities == (r,)
        assert re.raw.data.mean().item() == pytest.approx(direct.mean().item(), rel=0.02), r
        assert re.raw.data.var().item() == pytest.approx(direct.var().item(), rel=0.02), r
        assert not bool(re.saturated.any())


def test_plain_scaling_would_fail_the_variance():
    # the check above can fail: a digital multiplication has variance r²(λ+σ²), far too low
    d = get_device("drone-l1d-20c")
    scene = torch.full((1, 3, 128, 128), 0.7)
    measured = capture(scene, d, 1.0, torch.Generator().manual_seed(0)).data
    direct = capture(scene, d, 0.1, torch.Generator().manual_seed(2)).data
    black = d.stored_black_level_dn
    scaled = (measured - black) * 0.1 + black
    assert scaled.var().item() < 0.5 * direct.var().item()


def test_saturated_pixels_are_flagged():
    d = get_device("microscope-pco-edge-5.5")
    scene = torch.full((1, 3, 16, 16), 0.5)
    scene[..., :4, :] = 5.0  # 5× the unit radiance: past the full well
    measured = capture(scene, d, 1.0, torch.Generator().manual_seed(0))
    re = reexpose(measured, d, 0.5, torch.Generator().manual_seed(1))
    assert bool(re.saturated[..., :4, :].all()) and not bool(re.saturated[..., 6:, :].any())


def test_bad_input():
    d = get_device("drone-l1d-20c")
    raw = capture(torch.full((1, 3, 8, 8), 0.5), d, 1.0, torch.Generator().manual_seed(0))
    with pytest.raises(InputError, match=r"\(0, 1\]"):
        reexpose(raw, d, 1.2)
    with pytest.raises(InputError, match="does not match device"):
        reexpose(raw, get_device("microscope-pco-edge-5.5"), 0.5)
