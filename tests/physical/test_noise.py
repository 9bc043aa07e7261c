import dataclasses

import pytest
import torch

from physical.capture import capture
from physical.devices import NoiseSwitches, get_device, with_overrides
from physical.noise import fixed_pattern, shot_noise


@pytest.mark.parametrize("lam", [0.5, 2.0, 10.0])
def test_low_count_shot_noise_is_unbiased(lam, gen):
    rate = torch.full((1, 1, 1000, 1000), lam)
    n = shot_noise(rate, gen)
    assert n.mean().item() == pytest.approx(lam, rel=0.02)
    assert n.var().item() == pytest.approx(lam, rel=0.02)
    assert torch.equal(n, n.round())  # counts are integers: an exact Poisson draw, not a Gaussian


def test_fixed_pattern_is_a_property_of_the_device():
    a = fixed_pattern(7, 16, 16)
    b = fixed_pattern(7, 16, 16)
    c = fixed_pattern(8, 16, 16)
    assert torch.equal(a.prnu_z, b.prnu_z) and torch.equal(a.dsnu_z, b.dsnu_z)
    assert not torch.equal(a.prnu_z, c.prnu_z)


def _only(device, **on):
    switches = NoiseSwitches(**{f.name: on.get(f.name, False) for f in dataclasses.fields(NoiseSwitches)})
    return dataclasses.replace(device, noise=switches)


def test_fixed_pattern_same_frame_to_frame_while_noise_differs():
    d = get_device("drone-l1d-20c")
    scene = torch.full((1, 3, 32, 32), 0.4)
    fpn_only = _only(d, prnu=True, dsnu=True)
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(2)
    assert torch.equal(capture(scene, fpn_only, 1.0, g1).data, capture(scene, fpn_only, 1.0, g2).data)
    full1 = capture(scene, d, 1.0, torch.Generator().manual_seed(1)).data
    full2 = capture(scene, d, 1.0, torch.Generator().manual_seed(2)).data
    assert not torch.equal(full1, full2)
    # the fixed pattern survives averaging over frames: mean of many frames correlates with the PRNU map
    frames = capture(scene.expand(64, -1, -1, -1), d, 1.0, torch.Generator().manual_seed(3)).data
    fp = fixed_pattern(d.sensor.fixed_pattern_seed, 32, 32)
    mean = frames.mean(0).flatten()
    corr = torch.corrcoef(torch.stack([mean, fp.prnu_z.flatten()]))[0, 1]
    assert corr > 0.8


@pytest.mark.parametrize("component", ["shot", "read", "prnu", "dsnu", "row", "dark_current"])
def test_each_component_switches(component):
    d = with_overrides(get_device("microscope-pco-edge-5.5"), {"sensor.row_noise_e": 5.0, "sensor.dark_current_e_per_s": 500.0})
    scene = torch.full((4, 3, 32, 32), 0.3)
    g = torch.Generator().manual_seed(0)
    on = capture(scene, _only(d, **{component: True}), 1.0, g).data
    off = capture(scene, _only(d), 1.0, g).data
    assert (off - off[0, 0, 0, 0]).abs().max() == 0  # no noise at all: a flat stays flat
    assert not torch.equal(on, off)


def test_row_noise_is_shared_along_a_row():
    d = with_overrides(get_device("drone-l1d-20c"), {"sensor.row_noise_e": 20.0})
    d = _only(d, row=True)
    raw = capture(torch.full((1, 3, 16, 16), 0.2), d, 1.0, torch.Generator().manual_seed(0)).data[0, 0]
    assert (raw.std(dim=1) == 0).all() and raw[:, 0].std() > 0
    # filter-sequence devices expose R, G, B separately: each filter frame has its own row offsets
    m = _only(with_overrides(get_device("microscope-pco-edge-5.5"), {"sensor.row_noise_e": 20.0}), row=True)
    raw = capture(torch.full((1, 3, 16, 16), 0.2), m, 1.0, torch.Generator().manual_seed(0)).data[0, 0]
    assert not torch.equal(raw[0, 0::2], raw[0, 1::2])  # R and G pixels of one row differ
    assert (raw[0, 0::2].std() == 0) and (raw[0, 1::2].std() == 0)


def test_poisson_draws_do_not_depend_on_the_thread_count():
    from physical import draws

    rate = torch.rand(6, 1, 16, 16, generator=torch.Generator().manual_seed(0)) * 50
    before = torch.get_num_threads()
    try:
        out = []
        for n in (1, 2):
            torch.set_num_threads(n)
            out.append((draws.poisson(rate, torch.Generator().manual_seed(9)),
                        draws.poisson(rate, [torch.Generator().manual_seed(i) for i in range(6)])))
    finally:
        torch.set_num_threads(before)
    assert torch.equal(out[0][0], out[1][0]) and torch.equal(out[0][1], out[1][1])
    assert not torch.equal(out[0][0], out[0][1])


def test_capture_does_not_depend_on_the_thread_count_or_autograd():
    """Frames are recorded one by one in worker threads on the CPU: the bytes must not depend on that."""
    from physical import frame_pool
    from physical.capture import capture, capture_series

    d = with_overrides(get_device("microscope-pco-edge-5.5"), {"sensor.row_noise_e": 3.0})
    scene = torch.rand(3, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    before = torch.get_num_threads()
    try:
        out = []
        for n in (1, 2):
            torch.set_num_threads(n)
            out.append((capture_series(scene, d, (0.05, 1.0), torch.Generator().manual_seed(4)).data,
                        capture_series(scene, d, (0.05, 1.0), [torch.Generator().manual_seed(i) for i in range(6)]).data))
        assert frame_pool._thread_count_in_workers() == [1, 1]  # workers run their ops single-threaded
        assert torch.get_num_threads() == 2  # and the caller's setting is untouched
    finally:
        torch.set_num_threads(before)
    assert torch.equal(out[0][0], out[1][0]) and torch.equal(out[0][1], out[1][1])
    assert not torch.equal(out[0][0], out[0][1])
    # the differentiable path (batched, with autograd) draws and computes the same numbers
    grad_scene = scene.clone().requires_grad_()
    diff = capture(grad_scene, d, 0.05, torch.Generator().manual_seed(4), differentiable=True).data
    plain = capture(scene, d, 0.05, torch.Generator().manual_seed(4)).data
    assert torch.equal(diff.detach(), plain)
