"""``dataengine synthesize``: the main job — scenes → raw frames at every intensity → the 12 views → a dataset.

    generate scenes (diffusion model, or --procedural)  ─►  capture with the device at each intensity
    ─►  render the static ISP views of the full-intensity frames  ─►  write the published layout

Output (the layout of the published Raw-Microscopy / Raw-Drone datasets, read by ``engine.data`` readers)::

    OUT/images/raw_scaleNNN/<name>.tiff        uint16 raw frames (stored DN), one folder per intensity
    OUT/labels/annotations.dat                 ``<name> <CODE>`` per line (microscopy)
    OUT/masks/<name>.png                       car masks, 255 = car (drone)
    OUT/views/<view>/raw_scaleNNN/<name>.png   8-bit views of the highest intensity (raw_scale100 by default)
    OUT/scenes/<name>.tiff                     the float32 scenes the frames were captured from
    OUT/contact_sheet.png, OUT/manifest.json   (device, raw metadata, seeds, model, per-stage seconds)

Seeds: scene *i* from (seed, "scene", i); the capture noise of scene *i* at ratio r from
(seed, "capture", name, r), as ``dataengine capture`` does — the same seed gives identical files whatever
the batch size. Output is staged: a failure leaves nothing behind. The run is recorded in the lab log.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import torch

from engine.cli import add_common
from engine.commands.generate import add_scene_options, make_scenes, plan_scenes
from engine.contact_sheet import write_contact_sheet
from engine.device_files import resolve_device
from engine.errors import UserError
from engine.generated_files import write_mask_png
from engine.imagefiles import write_raw, write_scene
from engine.lablog_runs import add_run_flags, recorded_run
from engine.layout import IMAGES_DIR, LABELS_DIR, MASKS_DIR, intensity_folder, parse_intensities
from engine.manifest import write_manifest
from engine.output import atomic_write_text, staged_output
from engine.progress import progress
from engine.seeding import generator_for
from engine.view_files import write_view
from physical.capture import capture
from physical.devices import device_to_dict
from physical.isp.camera import IspCamera
from physical.isp.views import VIEWS, render_views
from semantic.generation import pixel_scale

LABEL_FILE = "annotations.dat"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synthesize", help="the main job: scenes → raw frames at every intensity → views → dataset",
                       description=__doc__.split("\n\n")[0])
    add_scene_options(p)
    p.add_argument("--device", help="device preset or .toml/.json file (default: the domain's device)")
    p.add_argument("--intensities", default="all", help="comma-separated ratios in (0, 1], or 'all' (default: the seven published)")
    p.add_argument("--views", default="all", help="'all' (the 12), comma-separated view names, or 'none'")
    p.add_argument("--out", type=Path, required=True, help="output dataset folder")
    add_run_flags(p)
    add_common(p)
    p.set_defaults(run=run)


def _parse_views(text: str) -> list[str]:
    text = text.strip()
    if text == "none":
        return []
    if text == "all":
        return VIEWS.names()
    names = [t.strip() for t in text.split(",") if t.strip()]
    for n in names:
        VIEWS.get(n)
    if not names or len(set(names)) != len(names):
        raise UserError(f"expected --views all, none or distinct view names, got {text!r}")
    return names


def run(args: argparse.Namespace) -> int:
    # validate everything before any work
    domain, labels, model, info = plan_scenes(args)
    device = resolve_device(args.device or domain.device_hint)
    intensities = parse_intensities(args.intensities)
    views = _parse_views(args.views)
    view_ratio = max(intensities)
    view_folder = intensity_folder(view_ratio)
    config = {"domain": domain.name, "n": args.n, "device": device.name, "intensities": list(intensities), "views": views,
              "size": args.size, "seed": args.seed, **info}
    with recorded_run(args, "synthesize", f"{domain.name}-{device.name}", config, args.seed) as lab_run:
        seconds = {}
        t = time.perf_counter()
        names, scenes, codes = make_scenes(args, domain, labels, model, args.quiet)
        seconds["generate"] = time.perf_counter() - t
        seconds.update(capture=0.0, views=0.0, write=0.0)
        ratios = torch.tensor(intensities)
        records = []
        meta = None
        sheet_rows = {}
        with staged_output(args.out) as stage:
            for i in progress(range(args.n), desc="synthesize", quiet=args.quiet, unit="scene"):
                name, scene = names[i], scenes.scenes[i]
                t = time.perf_counter()
                gens = [generator_for(args.seed, "capture", f"{name}.tiff", r) for r in intensities]
                raw = capture(scene[None].expand(len(intensities), -1, -1, -1), device, ratios, gens)
                meta = raw.meta
                seconds["capture"] += time.perf_counter() - t
                rendered = {}
                if views:
                    t = time.perf_counter()
                    j = intensities.index(view_ratio)
                    full_scale = meta.full_scale_dn
                    camera = IspCamera.from_device(device, black_level=meta.black_level_dn / full_scale, pattern=meta.cfa_pattern)
                    rendered = render_views((raw.data[j : j + 1] / full_scale).clamp(0, 1), views, camera)
                    seconds["views"] += time.perf_counter() - t
                t = time.perf_counter()
                for k, r in enumerate(intensities):
                    rel = f"{IMAGES_DIR}/{intensity_folder(r)}/{name}.tiff"
                    write_raw(stage / rel, raw.data[k])
                    records.append({"file": rel, "scene": f"scenes/{name}.tiff", "intensity": r})
                for v in views:
                    write_view(stage / "views" / v / view_folder / f"{name}.png", rendered[v][0], "png")
                write_scene(stage / "scenes" / f"{name}.tiff", scene)
                if scenes.masks is not None:
                    write_mask_png(stage / MASKS_DIR / f"{name}.png", scenes.masks[i])
                seconds["write"] += time.perf_counter() - t
                if len(sheet_rows) < 4:
                    caption = f"{name} {codes[i]}" if codes else name
                    row = {"scene (display gamma)": scene.clamp(0, 1) ** (1 / 2.2)}
                    if scenes.masks is not None:
                        row["car mask"] = scenes.masks[i].float().expand(3, -1, -1)
                    for v in views[:: max(1, len(views) // 3)][:3]:
                        row[v] = rendered[v][0]
                    sheet_rows[caption] = row
            if codes is not None:
                atomic_write_text(stage / LABELS_DIR / LABEL_FILE, "".join(f"{n} {c}\n" for n, c in zip(names, codes)))
            t = time.perf_counter()
            write_contact_sheet(stage / "contact_sheet.png", sheet_rows, title=f"{domain.name} → {device.name}, views at {view_folder}")
            seconds["write"] += time.perf_counter() - t
            write_manifest(stage, {
                "kind": "synthesize", "domain": domain.name, "device": device_to_dict(device),
                "raw_meta": {k: v for k, v in dataclasses.asdict(meta).items() if k != "intensities"},
                "seed": args.seed, "n": args.n, "size": args.size, **pixel_scale(domain.name, args.size), "scenes": info,
                "intensities": list(intensities), "views": views, "views_intensity": view_ratio,
                "labels": f"{LABELS_DIR}/{LABEL_FILE}" if codes is not None else f"{MASKS_DIR}/",
                "stage_seconds": seconds, "files": records,
            })
        if lab_run is not None:
            total = sum(seconds.values())
            lab_run.log_metrics({f"seconds_{k}": v for k, v in seconds.items()} | {"scenes_per_s": args.n / max(total, 1e-9)})
            lab_run.set_tags({"out": str(args.out)})
            lab_run.log_artifact(args.out / "contact_sheet.png", kind="image")
    if not args.quiet:
        total = sum(seconds.values())
        share = ", ".join(f"{k} {100 * v / max(total, 1e-9):.0f}%" for k, v in seconds.items())
        print(f"wrote {args.n} {domain.name} scenes × {len(intensities)} intensities × {len(views)} views to {args.out} "
              f"({args.n / max(total, 1e-9):.2f} scenes/s; {share})")
    return 0
