"""``dataengine calibrate``: EMVA 1288 figures from flat-field and dark frame pairs."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import torch

from engine.cli import add_common
from engine.errors import UserError
from engine.imagefiles import list_tiffs, read_raw
from engine.manifest import read_manifest
from engine.photon_transfer_plot import write_photon_transfer_plot
from physical.calibration import channel_names, photon_transfer
from physical.cfa import PATTERNS, site_colours

PAIRING = (
    "Frames are paired by sorted relative path: files 1+2 are the first level, 3+4 the second, and so on "
    "(e.g. flat_000a.tiff, flat_000b.tiff, ...). Darks: the first two files in --darks."
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "calibrate",
        help="EMVA 1288 photon-transfer calibration from flat and dark frames",
        description=(
            "Estimate gain K, temporal dark noise, saturation capacity, SNR_max, dynamic range, linearity error, "
            "DSNU1288 and PRNU1288 per CFA channel from pairs of uint16 raw frames. " + PAIRING + " "
            "A capture manifest beside the flats (as `dataengine capture` writes) supplies the CFA pattern, the "
            "bit depth and the photons per pixel of each frame (for quantum efficiency and linearity)."
        ),
    )
    p.add_argument("--flats", required=True, type=Path, help="folder of flat-field frames, two per level")
    p.add_argument("--darks", required=True, type=Path, help="folder with (at least) two dark frames")
    p.add_argument("--cfa", default=None, help=f"CFA pattern ({', '.join(PATTERNS)}) or 'none'; default from the manifest, else RGGB")
    p.add_argument("--left-shift", type=int, default=None, help="bits the ADC codes are shifted left by; default from the manifest, else inferred from the data")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--plot", type=Path, default=None, help="write the photon-transfer plot to this PNG file")
    add_common(p)
    p.set_defaults(run=run)


def _infer_shift(frames: list[torch.Tensor]) -> int:
    """Trailing zero bits common to every value (left-justified data), at most 8."""
    acc = 0
    for f in frames:
        for v in torch.unique(f.to(torch.int64)).tolist():
            acc |= int(v)
    shift = 0
    while shift < 8 and acc and not (acc >> shift) & 1:
        shift += 1
    return shift


def _photons_for(manifest: dict | None, rel: str, pattern: str | None) -> list[float] | None:
    if not manifest:
        return None
    for rec in manifest.get("files", []):
        if rec.get("file") == rel and "mean_photons_rgb" in rec:
            rgb = rec["mean_photons_rgb"]
            return [rgb[c] for c in site_colours(pattern)] if pattern else [sum(rgb) / 3]
    return None


def run(args: argparse.Namespace) -> int:
    if args.cfa is not None and args.cfa.lower() != "none" and args.cfa not in PATTERNS:
        raise UserError(f"unknown CFA pattern {args.cfa!r}; expected one of: {', '.join(PATTERNS)}, none")
    flat_files = list_tiffs(args.flats)
    dark_files = list_tiffs(args.darks)
    if len(flat_files) % 2:
        raise UserError(f"expected an even number of flat frames in {args.flats} (pairs), got {len(flat_files)}. {PAIRING}")
    if len(dark_files) < 2:
        raise UserError(f"expected at least two dark frames in {args.darks}, got {len(dark_files)}")
    manifest = read_manifest(args.flats)
    meta = (manifest or {}).get("raw_meta", {})
    cfa = args.cfa if args.cfa is not None else meta.get("cfa_pattern", "RGGB")
    pattern = None if cfa.lower() == "none" else cfa
    if pattern is not None and pattern not in PATTERNS:
        raise UserError(f"unknown CFA pattern {cfa!r}; expected one of: {', '.join(PATTERNS)}, none")
    flats = [read_raw(f)[0] for f in flat_files]
    darks = [read_raw(f)[0] for f in dark_files[:2]]
    shape = darks[0].shape
    for f, x in zip(flat_files + dark_files[:2], flats + darks):
        if x.shape != shape:
            raise UserError(f"frame {f} is {tuple(x.shape)}; expected every frame {tuple(shape)} like the darks")
    if args.left_shift is not None:
        shift = args.left_shift
    elif meta:
        shift = int(meta["stored_bits"]) - int(meta["bits"])
    else:
        shift = _infer_shift(darks + flats[:2])
    pairs = [(flats[i], flats[i + 1]) for i in range(0, len(flats), 2)]
    photons = None
    if manifest:
        per_file = [_photons_for(manifest, f.relative_to(args.flats).as_posix(), pattern) for f in flat_files]
        if all(p is not None for p in per_file):
            photons = [[(a + b) / 2 for a, b in zip(per_file[i], per_file[i + 1])] for i in range(0, len(per_file), 2)]
    result = photon_transfer(pairs, (darks[0], darks[1]), cfa_pattern=pattern, quantisation_step_dn=float(2**shift), photons=photons)
    if args.plot:
        write_photon_transfer_plot(result, args.plot, title=f"EMVA 1288 photon transfer — {args.flats}")
    summary = result.summary()
    summary["left_shift"] = shift
    summary["cfa_pattern"] = pattern
    summary["levels"] = len(pairs)
    if args.json:
        print(json.dumps(summary, indent=2, default=lambda v: None if isinstance(v, float) and not math.isfinite(v) else v))
        return 0
    names = (channel_names(pattern) if pattern else []) + ["all"]
    rows = [
        ("gain K (stored DN/e-)", "gain_dn_per_e", "{:.4f}"),
        ("temporal dark noise (e-)", "dark_noise_e", "{:.3f}"),
        ("saturation capacity (e-, max variance)", "saturation_capacity_e", "{:,.0f}"),
        ("clip capacity (e-, plateau)", "clip_capacity_e", "{:,.0f}"),
        ("SNR max (dB)", "snr_max_db", "{:.2f}"),
        ("dynamic range (dB)", "dynamic_range_db", "{:.2f}"),
        ("linearity error (%)", "linearity_error_pct", "{:.3f}"),
        ("quantum efficiency", "quantum_efficiency", "{:.4f}"),
        ("DSNU1288 (e-)", "dsnu1288_e", "{:.3f}"),
        ("PRNU1288 (%)", "prnu1288_pct", "{:.3f}"),
    ]
    print(f"EMVA 1288 — {len(pairs)} flat levels, left shift {shift}, CFA {pattern or 'none'}")
    print(f"{'':40}" + "".join(f"{n:>10}" for n in names))
    for label, key, fmt in rows:
        cells = []
        for n in names:
            v = summary["channels"][n][key]
            cells.append(f"{'n/a' if v is None else fmt.format(v):>10}")
        print(f"{label:40}" + "".join(cells))
    return 0
