"""``dataengine capture``: scenes (float32 TIFF) → raw frames (uint16 TIFF) as a device records them."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from engine.cli import add_common
from engine.device_files import resolve_device
from engine.errors import UserError
from engine.imagefiles import list_tiffs, read_scene, write_raw
from engine.layout import IMAGES_DIR, intensity_folder, parse_intensities
from engine.manifest import write_manifest
from engine.output import staged_output
from engine.progress import progress
from engine.seeding import generator_for
from physical.capture import capture_series
from physical.devices import device_to_dict


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "capture",
        help="turn scenes into raw frames as a device records them",
        description=(
            "Read scenes (float32 TIFF, HxWx3, linear relative radiance) and write the raw frames the device "
            "records at each intensity ratio: OUT/images/raw_scaleNNN/<same name>.tiff (uint16, stored DN), "
            "plus OUT/manifest.json. The same seed gives byte-identical files."
        ),
    )
    p.add_argument("--scenes", required=True, type=Path, help="folder of scene TIFFs (searched recursively)")
    p.add_argument("--device", required=True, help="preset name (see `dataengine devices`) or a .toml/.json device file")
    p.add_argument("--intensities", default="1.0", help="comma-separated ratios in (0, 1], or 'all' (default 1.0)")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    p.add_argument("--out", required=True, type=Path, help="output dataset folder")
    add_common(p)
    p.set_defaults(run=run)


def _scene_key(path: Path, root: Path) -> Path:
    return path.relative_to(root).with_suffix(".tiff")


def run(args: argparse.Namespace) -> int:
    device = resolve_device(args.device)
    intensities = parse_intensities(args.intensities)
    files = list_tiffs(args.scenes)
    records = []
    # Everything is written into a staging folder: any bad scene, even the last, leaves nothing behind.
    with staged_output(args.out) as stage:
        for f in progress(files, desc="capture", quiet=args.quiet, unit="scene"):
            scene = read_scene(f)
            if scene.shape[-1] % 2 or scene.shape[-2] % 2:
                raise UserError(f"scene {f} is {scene.shape[-2]}x{scene.shape[-1]}; a Bayer device needs even height and width")
            key = _scene_key(f, args.scenes)
            gens = [generator_for(args.seed, key.as_posix(), r) for r in intensities]
            raw = capture_series(scene[None], device, intensities, gens)
            mean_radiance = scene.mean(dim=(1, 2)).tolist()
            for i, r in enumerate(intensities):
                rel = Path(IMAGES_DIR) / intensity_folder(r) / key
                write_raw(stage / rel, raw.data[i])
                photons = [m * r * device.sensor.photons_at_unit_radiance for m in mean_radiance]
                records.append({"file": rel.as_posix(), "scene": key.as_posix(), "intensity": r, "mean_photons_rgb": photons})
        write_manifest(
            stage,
            {
                "kind": "capture",
                "device": device_to_dict(device),
                "raw_meta": {k: v for k, v in dataclasses.asdict(raw.meta).items() if k != "intensities"},
                "seed": args.seed,
                "intensities": list(intensities),
                "files": records,
            },
        )
    if not args.quiet:
        print(f"wrote {len(records)} raw frames of {len(files)} scenes to {args.out}")
    return 0
