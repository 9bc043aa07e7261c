"""``dataengine devices``: the device presets with their key numbers."""

from __future__ import annotations

import argparse
import json

from engine.cli import add_common
from physical.devices import DEVICES, device_to_dict, get_device


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("devices", help="list the device presets", description="List the device presets and their key numbers.")
    p.add_argument("--json", action="store_true", help="every field of every preset as JSON")
    add_common(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    devices = [get_device(n) for n in DEVICES.names()]
    if args.json:
        print(json.dumps({d.name: device_to_dict(d) for d in devices}, indent=2))
        return 0
    header = f"{'name':26} {'CFA':20} {'pixel':>7} {'bits':>7} {'K DN/e-':>9} {'full well':>10} {'read e-':>8} {'sat e-':>8}"
    print(header)
    for d in devices:
        bits = f"{d.adc.bits}({d.adc.stored_bits})"
        cfa = f"{d.cfa.pattern} {d.cfa.mode}"
        print(
            f"{d.name:26} {cfa:20} {d.sensor.pixel_pitch_um:>5.1f}um {bits:>7} {d.adc.gain_dn_per_e:>9.4g} "
            f"{d.sensor.full_well_e:>10,.0f} {d.sensor.read_noise_e:>8.3g} {d.saturation_e:>8,.0f}"
        )
    return 0
