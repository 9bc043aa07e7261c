"""``dataengine views``: raw frames (uint16 TIFF) → the static views of a device, plus a contact sheet.

    dataengine views --raw DIR --device NAME [--views all|NAME,...] [--format png|tiff16] --out DIR
    dataengine views --list

Reads every ``.tif``/``.tiff`` under ``--raw`` (a dataset in the published layout ``images/raw_scaleNNN/``
or a flat folder) and writes ``OUT/views/<view>/<same sub-path>/<name>.png`` (or ``.tiff``),
``OUT/contact_sheet.png`` and ``OUT/manifest.json``.

Where the numbers come from:

- normalisation: stored DN / (2^stored_bits − 1) — 65535 for both presets, as the published datasets
  are divided on load;
- black level: a capture manifest (``manifest.json`` with ``raw_meta``, as ``dataengine capture`` writes)
  in the frame's folder or a parent up to ``--raw`` (or the dataset root above ``--raw`` when ``--raw`` is
  its ``images/`` or ``images/raw_scaleNNN/`` folder) gives the simulator's black level
  (``raw_meta.black_level_dn`` / full scale) and the CFA pattern; without one, the device's
  ``camera.black_level`` (the seed's values, which describe the published files);
- white balance and colour matrix: always the device's camera parameters.

Bad input (not uint16, not H×W, odd or tiny size, values above the stored range, unknown view or device)
stops the command with one ``error:`` line; output is staged, so nothing is written then.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from engine.cli import add_common
from engine.contact_sheet import write_contact_sheet
from engine.device_files import resolve_device
from engine.errors import UserError
from engine.imagefiles import list_tiffs, read_raw
from engine.layout import parse_intensity_folder
from engine.manifest import find_raw_meta, write_manifest
from engine.output import staged_output
from engine.progress import progress
from engine.view_files import VIEW_FORMATS, write_view
from physical.devices import Device
from physical.isp.camera import IspCamera
from physical.isp.views import VIEWS, render_views

_MIN_SIDE = 6


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "views",
        help="render the 12 static ISP views of raw frames, with a contact sheet",
        description=(
            "Render static ISP views of uint16 raw TIFFs: OUT/views/<view>/<same sub-path>/<name>.png|.tiff, "
            "OUT/contact_sheet.png and OUT/manifest.json. The black level comes from a capture manifest "
            "beside the frames when there is one, else from the device's camera parameters."
        ),
    )
    p.add_argument("--list", action="store_true", help="print the names of the 12 views and exit")
    p.add_argument("--raw", type=Path, help="folder of raw uint16 TIFFs (searched recursively)")
    p.add_argument("--device", help="preset name (see `dataengine devices`) or a .toml/.json device file")
    p.add_argument("--views", default="all", help="'all' (default) or comma-separated view names")
    p.add_argument("--format", choices=sorted(VIEW_FORMATS), default="png", help="png (8-bit, default) or tiff16")
    p.add_argument("--batch", type=int, default=32, help="frames processed together (default 32)")
    p.add_argument("--out", type=Path, help="output folder")
    add_common(p)
    p.set_defaults(run=run)


def parse_views(text: str) -> list[str]:
    if text.strip() == "all":
        return VIEWS.names()
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise UserError("expected --views all or comma-separated view names")
    for n in names:
        VIEWS.get(n)  # unknown names fail listing the 12
    if len(set(names)) != len(names):
        raise UserError(f"view names repeat in {text!r}")
    return names


class _Calibration:
    """Per folder: the camera parameters and the stored range, from the nearest capture manifest or the device."""

    def __init__(self, root: Path, device: Device):
        self.root, self.device = root.resolve(), device
        self._cache: dict[Path, tuple[IspCamera, int, str]] = {}

    def for_folder(self, folder: Path) -> tuple[IspCamera, int, str]:
        """(camera, full-scale DN, where the black level came from)."""
        if folder not in self._cache:
            found = find_raw_meta(folder, self.root)
            if found is None:
                camera = IspCamera.from_device(self.device)
                full_scale = 2**self.device.adc.stored_bits - 1
                source = f"device {self.device.name} camera.black_level"
            else:
                meta, where = found
                try:
                    full_scale = 2 ** int(meta["stored_bits"]) - 1
                    black = float(meta["black_level_dn"]) / full_scale
                    pattern = str(meta.get("cfa_pattern", self.device.cfa.pattern))
                except (KeyError, TypeError, ValueError):
                    raise UserError(f"malformed raw_meta in {where / 'manifest.json'}: expected stored_bits and "
                                    "black_level_dn") from None
                camera = IspCamera.from_device(self.device, black_level=black, pattern=pattern)
                source = f"capture manifest {where / 'manifest.json'}"
            self._cache[folder] = (camera, full_scale, source)
        return self._cache[folder]


def _load(path: Path, full_scale: int) -> torch.Tensor:
    raw = read_raw(path)  # validates uint16 and H×W
    h, w = raw.shape[-2:]
    if h % 2 or w % 2 or min(h, w) < _MIN_SIDE:
        raise UserError(f"raw {path} is {h}x{w}; expected even height and width of at least {_MIN_SIDE} (a Bayer mosaic)")
    top = float(raw.max())
    if top > full_scale:
        raise UserError(f"raw {path} has values up to {top:.0f} DN, above the stored range 0..{full_scale}")
    return raw / full_scale


def _required(args: argparse.Namespace) -> None:
    missing = [f"--{k}" for k in ("raw", "device", "out") if getattr(args, k) is None]
    if missing:
        raise UserError(f"views: the following arguments are required: {', '.join(missing)} (or use --list)")
    if args.batch < 1:
        raise UserError(f"expected --batch >= 1, got {args.batch}")


def _contact_rows(frames: list[tuple[Path, Path]]) -> tuple[str, list[tuple[str, Path]]]:
    """(image name, [(row label, file)]) for the contact sheet: one image at every intensity it appears at."""
    by_name: dict[str, dict[float, Path]] = {}
    for path, rel in frames:
        ratio = parse_intensity_folder(rel.parent.name)
        if ratio is not None:
            by_name.setdefault(rel.name, {})[ratio] = path
    if by_name:
        name = max(by_name, key=lambda n: (len(by_name[n]), -sorted(by_name).index(n)))
        levels = sorted(by_name[name], reverse=True)
        if len(levels) > 1:
            return name, [(f"intensity {r:g}", by_name[name][r]) for r in levels]
    return frames[0][1].as_posix(), [(frames[0][1].as_posix(), frames[0][0])]


def run(args: argparse.Namespace) -> int:
    if args.list:
        print("\n".join(VIEWS.names()))
        return 0
    _required(args)
    device = resolve_device(args.device)
    views = parse_views(args.views)
    root = args.raw
    files = list_tiffs(root)
    frames = [(f, f.relative_to(root)) for f in files]
    calibration = _Calibration(root, device)
    suffix = VIEW_FORMATS[args.format]
    sources: dict[str, str] = {}

    # Batches of consecutive frames with the same size and camera parameters.
    batches: list[list[tuple[Path, Path]]] = []
    for path, rel in frames:
        key = calibration.for_folder(path.parent)
        if batches and len(batches[-1]) < args.batch and calibration.for_folder(batches[-1][0][0].parent) == key:
            batches[-1].append((path, rel))
        else:
            batches.append([(path, rel)])

    with staged_output(args.out) as stage:
        for batch in progress(batches, desc="views", quiet=args.quiet, unit="batch"):
            camera, full_scale, source = calibration.for_folder(batch[0][0].parent)
            for _, rel in batch:
                sources[rel.parent.as_posix()] = source
            images = [_load(p, full_scale) for p, _ in batch]
            for group in _same_size(images):
                raw = torch.stack([images[i] for i in group])
                rendered = render_views(raw, views, camera)
                for j, i in enumerate(group):
                    rel = batch[i][1]
                    for name in views:
                        write_view(stage / "views" / name / rel.with_suffix(suffix), rendered[name][j], args.format)
        rows = {}
        sheet_name, sheet_rows = _contact_rows(frames)
        for label, path in sheet_rows:
            camera, full_scale, _ = calibration.for_folder(path.parent)
            rendered = render_views(_load(path, full_scale)[None], views, camera)
            rows[label] = {name: rendered[name][0] for name in views}
        write_contact_sheet(stage / "contact_sheet.png", rows, title=f"{device.name}: {sheet_name}")
        write_manifest(stage, {
            "kind": "views",
            "device": device.name,
            "views": views,
            "format": args.format,
            "black_level_sources": sources,
            "frames": len(frames),
        })
    if not args.quiet:
        print(f"wrote {len(views)} views of {len(frames)} raw frames to {args.out / 'views'} and the contact sheet")
    return 0


def _same_size(images: list[torch.Tensor]) -> list[list[int]]:
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, im in enumerate(images):
        groups.setdefault(tuple(im.shape), []).append(i)
    return list(groups.values())
