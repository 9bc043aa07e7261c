"""``dataengine reexpose``: measured raw frames → the frames a true capture at lower intensity would give."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import torch

from engine.cli import add_common
from engine.device_files import resolve_device
from engine.errors import UserError
from engine.imagefiles import read_raw, write_raw
from engine.layout import IMAGES_DIR, intensity_folder, parse_intensities
from engine.manifest import write_manifest
from engine.output import staged_output
from engine.progress import progress
from engine.raw_sources import manifest_black_level_dn, measured_frames
from engine.seeding import generator_for
from physical.capture import raw_meta
from physical.devices import device_to_dict
from physical.raw import Raw
from physical.reexposure import reexpose


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "reexpose",
        help="re-expose measured raw frames to other intensities",
        description=(
            "Re-expose raw frames measured at intensity 1.0 to other intensity ratios with the statistics of a "
            "true capture there (mean r·λ, variance r·λ + σ_read² in electrons). Reads --raw/images/raw_scale100/, "
            "--raw/raw_scale100/ or a flat folder of uint16 TIFFs; writes OUT/images/raw_scaleNNN/ and "
            "OUT/manifest.json. Saturated pixels cannot be re-exposed exactly: they are counted, reported and "
            "listed in the manifest."
        ),
    )
    p.add_argument("--raw", required=True, type=Path, help="folder of measured raw TIFFs (intensity 1.0)")
    p.add_argument("--device", required=True, help="preset name or .toml/.json device file that recorded them")
    p.add_argument("--ratios", default="all", help="comma-separated ratios in (0, 1], or 'all' (default)")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    p.add_argument("--out", required=True, type=Path, help="output dataset folder")
    add_common(p)
    p.set_defaults(run=run)


def _read_measured(path: Path, device) -> torch.Tensor:
    data = read_raw(path)
    white = device.adc_max_dn * 2**device.left_shift
    if float(data.max()) > white:
        raise UserError(
            f"raw {path} has values up to {int(data.max())}, above the {white} a {device.adc.bits}-bit "
            f"{device.name} frame stored in {device.adc.stored_bits} bits can hold"
        )
    if data.shape[-1] % 2 or data.shape[-2] % 2:
        raise UserError(f"raw {path} is {data.shape[-2]}x{data.shape[-1]}; a Bayer frame needs even height and width")
    return data


def run(args: argparse.Namespace) -> int:
    device = resolve_device(args.device)
    ratios = parse_intensities(args.ratios)
    root, files = measured_frames(args.raw)
    stored_black = manifest_black_level_dn(root, args.raw)
    meta = raw_meta(device, black_level_dn=None if stored_black is None else stored_black / 2**device.left_shift)
    records, saturated_files, saturated_pixels = [], 0, 0
    with staged_output(args.out) as stage:
        for f in progress(files, desc="reexpose", quiet=args.quiet, unit="frame"):
            key = f.relative_to(root).with_suffix(".tiff")
            raw = Raw(_read_measured(f, device)[None], dataclasses.replace(meta, intensities=(1.0,)))
            n_sat = None
            for r in ratios:
                result = reexpose(raw, device, r, generator_for(args.seed, key.as_posix(), r))
                n_sat = int(result.saturated.sum())
                rel = Path(IMAGES_DIR) / intensity_folder(r) / key
                write_raw(stage / rel, result.raw.data[0])
                records.append({"file": rel.as_posix(), "source": key.as_posix(), "intensity": r})
            if n_sat:
                saturated_files += 1
                saturated_pixels += n_sat
                records.append({"saturated_pixels": n_sat, "source": key.as_posix()})
        write_manifest(
            stage,
            {
                "kind": "reexpose",
                "device": device_to_dict(device),
                "raw_meta": {k: v for k, v in dataclasses.asdict(meta).items() if k != "intensities"},
                "seed": args.seed,
                "intensities": list(ratios),
                "saturated_pixels": saturated_pixels,
                "files": records,
            },
        )
    if saturated_pixels:
        print(
            f"warning: {saturated_pixels} saturated pixels in {saturated_files} frames cannot be re-exposed exactly "
            "(treated as at saturation, a lower bound; listed in manifest.json)",
            file=sys.stderr,
        )
    if not args.quiet:
        print(f"wrote {len(files) * len(ratios)} raw frames ({len(files)} measured x {len(ratios)} ratios) to {args.out}")
    return 0
