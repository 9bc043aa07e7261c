import dataclasses

import pytest

from physical.checks import InputError
from physical.devices import DEVICES, device_from_dict, device_to_dict, get_device, with_overrides


def test_presets_hold_the_published_numbers():
    m = get_device("microscope-pco-edge-5.5")
    assert m.adc.gain_dn_per_e == pytest.approx(2.17, abs=0.01) and m.adc.bits == 16 and m.left_shift == 0
    assert m.sensor.pixel_pitch_um == 6.5 and m.sensor.full_well_e == 30_000 and m.cfa.mode == "filter-sequence"
    assert m.camera.black_level == (9.834e-6,) * 4
    assert m.camera.colour_matrix[0] == -2.0338 and m.camera.white_balance == (-0.6567, 1.9673, 3.5304)
    d = get_device("drone-l1d-20c")
    assert d.stored_gain_dn_per_e == pytest.approx(8.448)
    assert d.stored_black_level_dn == 4096 and d.left_shift == 4 and d.sensor.pixel_pitch_um == 2.4
    assert d.camera.white_balance == (2.86653646, 1.0, 1.73079425)
    assert d.camera.black_level == (0.0625, 0.0626, 0.0625, 0.0626)


@pytest.mark.parametrize("name", DEVICES.names())
def test_every_preset_round_trips_through_a_dict(name):
    d = get_device(name)
    data = device_to_dict(d)
    again = device_from_dict({"base": name, **{k: v for k, v in data.items() if k not in ("name",)}, "name": name})
    assert again == d


def test_overrides_and_unknown_fields():
    d = with_overrides(get_device("drone-l1d-20c"), {"sensor.read_noise_e": 2.4, "name": "mine", "noise.row": False})
    assert d.sensor.read_noise_e == 2.4 and d.name == "mine" and d.noise.row is False
    with pytest.raises(InputError, match="unknown device field 'sensor.readnoise'.*sensor.read_noise_e"):
        with_overrides(d, {"sensor.readnoise": 1})
    with pytest.raises(InputError, match="expected sensor.read_noise_e as a number"):
        with_overrides(d, {"sensor.read_noise_e": "high"})
    with pytest.raises(InputError, match="read_noise_e >= 0"):
        with_overrides(d, {"sensor.read_noise_e": -1.0})
    with pytest.raises(InputError, match="'base' preset"):
        device_from_dict({"sensor": {}})


def test_devices_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_device("drone-l1d-20c").sensor.read_noise_e = 1.0  # type: ignore[misc]
