import torch

from physical.adc import adc, electrons_from_dn


def test_adc_clips_full_well_range_and_shifts():
    e = torch.tensor([[[[-1000.0, 0.0, 10.2, 20_000.0, 1e9]]]])
    dn = adc(e, full_well_e=15_000, gain_dn_per_e=0.528, black_level_dn=256, bits=12, left_shift=4)
    assert dn.tolist()[0][0][0] == [0.0, 256 * 16, round(0.528 * 10.2 + 256) * 16, 4095 * 16, 4095 * 16]
    assert torch.equal(dn % 16, torch.zeros_like(dn))


def test_full_well_before_adc_range():
    # microscope: full well (30,000 e) clips below the 16-bit range
    dn = adc(torch.tensor([[[[1e6]]]]), full_well_e=30_000, gain_dn_per_e=1 / 0.46, black_level_dn=100, bits=16, left_shift=0)
    assert float(dn) == round(30_000 / 0.46 + 100)


def test_inverse_of_linear_part():
    e = torch.tensor([[[[100.0, 2000.0]]]])
    dn = adc(e, full_well_e=1e5, gain_dn_per_e=2.0, black_level_dn=10, bits=16, left_shift=0)
    assert torch.allclose(electrons_from_dn(dn, gain_dn_per_e=2.0, black_level_dn=10, left_shift=0), e)


def test_straight_through_rounding_gradient():
    e = torch.tensor([[[[100.3]]]], requires_grad=True)
    gain = torch.tensor(0.528, requires_grad=True)
    dn = adc(e, full_well_e=1e4, gain_dn_per_e=gain, black_level_dn=256.0, bits=12, left_shift=4, differentiable=True)
    assert float(dn.detach()) == round(0.528 * 100.3 + 256) * 16  # forward exact
    dn.sum().backward()
    assert float(e.grad) == torch.tensor(0.528 * 16).item()
    assert abs(float(gain.grad) - 100.3 * 16) < 1e-3
