"""The engine's central claim: simulated raw data has the device's photon-transfer signature (EMVA 1288)."""

import pytest

from physical.calibration import photon_transfer
from physical.devices import DEVICES, get_device
from tests.physical.flat_fields import flat_series


@pytest.fixture(scope="module", params=DEVICES.names())
def measured(request):
    device = get_device(request.param)
    pairs, dark, photons = flat_series(device)
    result = photon_transfer(
        pairs, dark, cfa_pattern=device.cfa.pattern, quantisation_step_dn=2**device.left_shift, photons=photons
    )
    return device, result


CHANNELS = ["R", "Gr", "Gb", "B", "all"]


@pytest.mark.parametrize("channel", CHANNELS)
def test_gain_is_the_photon_transfer_slope(measured, channel):
    device, result = measured
    # stored DN: ×16 for the drone's 12 bits left-justified in 16
    assert result.channels[channel].gain_dn_per_e == pytest.approx(device.stored_gain_dn_per_e, rel=0.01)


@pytest.mark.parametrize("channel", CHANNELS)
def test_read_noise_recovered(measured, channel):
    device, result = measured
    assert result.channels[channel].dark_noise_e == pytest.approx(device.sensor.read_noise_e, rel=0.03)


def test_saturation_capacity(measured):
    device, result = measured
    ch = result.channels["all"]
    # where the output stops rising: the full well (microscope) or the ADC clip (drone), within 2 %
    assert ch.clip_capacity_e == pytest.approx(device.saturation_e, rel=0.02)
    # EMVA's maximum-variance point lies a few shot-noise widths below the clip, never above it
    assert 0.94 * device.saturation_e < ch.saturation_capacity_e < device.saturation_e


def test_drone_adc_clips_before_the_full_well():
    d = get_device("drone-l1d-20c")
    assert d.saturation_e == pytest.approx((4095 - 256) / 0.528)
    assert d.saturation_e < d.sensor.full_well_e


def test_quantum_efficiency_linearity_and_nonuniformity(measured):
    device, result = measured
    for name in ["R", "Gr", "Gb", "B"]:
        ch = result.channels[name]
        assert ch.quantum_efficiency == pytest.approx(device.sensor.quantum_efficiency[1], rel=0.02)
        assert ch.linearity_error_pct < 0.5  # the simulated sensor is linear up to saturation
        assert ch.prnu1288_pct == pytest.approx(device.sensor.prnu * 100, rel=0.15)
    assert result.channels["all"].dsnu1288_e == pytest.approx(device.sensor.dsnu_e, rel=0.25)
    assert result.channels["all"].snr_max == pytest.approx(result.channels["all"].saturation_capacity_e ** 0.5)
