"""Generated scenes on disk (``dataengine generate``) and the contact sheet.

    OUT/scenes/<name>.tiff    float32 H×W×3 linear relative radiance
    OUT/labels.csv            ``name,label`` (microscopy), one line per scene
    OUT/masks/<name>.png      8-bit car mask, 255 = car (drone)
    OUT/contact_sheet.png     a grid of the scenes (gamma 2.2 for display; masks outlined in red)

``read_generated`` reads such a folder back (for ``semantic train --data``) with validation.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from engine.errors import UserError
from engine.imagefiles import list_tiffs, read_scene, write_scene
from engine.output import atomic_path, atomic_write_text

__all__ = ["write_mask_png", "read_mask_png", "contact_sheet", "write_generated", "read_generated"]


def write_mask_png(path: Path, mask: torch.Tensor) -> None:
    a = (mask.reshape(mask.shape[-2], mask.shape[-1]).cpu().numpy() > 0).astype(np.uint8) * 255
    with atomic_path(path) as tmp:
        Image.fromarray(a, mode="L").save(tmp, format="PNG")


def read_mask_png(path: Path) -> torch.Tensor:
    try:
        with Image.open(path) as im:
            a = np.asarray(im.convert("L"))
    except Exception as exc:
        raise UserError(f"cannot read mask PNG {path}: {exc}") from None
    return torch.from_numpy(a > 0)[None]


def contact_sheet(path: Path, scenes: torch.Tensor, captions: list[str] | None = None, masks: torch.Tensor | None = None,
                  max_items: int = 64, tile: int = 128) -> None:
    """A PNG grid of up to ``max_items`` scenes (display gamma 2.2), captioned, masks outlined in red."""
    n = min(len(scenes), max_items)
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    cap_h = 14 if captions else 0
    sheet = Image.new("RGB", (cols * tile, rows * (tile + cap_h)), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for i in range(n):
        x = torch.nn.functional.interpolate(scenes[i : i + 1], size=(tile, tile), mode="bilinear", antialias=True, align_corners=False)[0]
        rgb = (x.clamp(0, 1) ** (1 / 2.2)).permute(1, 2, 0).numpy()
        if masks is not None:
            m = torch.nn.functional.interpolate(masks[i : i + 1].float(), size=(tile, tile), mode="nearest")[0, 0].numpy() > 0.5
            edge = m & ~(np.roll(m, 1, 0) & np.roll(m, -1, 0) & np.roll(m, 1, 1) & np.roll(m, -1, 1))
            rgb = rgb.copy()
            rgb[edge] = (1.0, 0.0, 0.0)
        r, c = divmod(i, cols)
        sheet.paste(Image.fromarray((rgb * 255 + 0.5).astype(np.uint8)), (c * tile, r * (tile + cap_h)))
        if captions:
            draw.text((c * tile + 3, r * (tile + cap_h) + tile + 1), captions[i], fill=(0, 0, 0))
    buf = io.BytesIO()
    sheet.save(buf, format="PNG")
    with atomic_path(path) as tmp:
        tmp.write_bytes(buf.getvalue())


def write_generated(out: Path, names: list[str], scenes: torch.Tensor, codes: list[str] | None, masks: torch.Tensor | None) -> list[str]:
    """Write scenes, labels.csv or masks and the contact sheet under ``out``; returns the relative paths."""
    files = []
    for i, name in enumerate(names):
        write_scene(out / "scenes" / f"{name}.tiff", scenes[i])
        files.append(f"scenes/{name}.tiff")
        if masks is not None:
            write_mask_png(out / "masks" / f"{name}.png", masks[i])
            files.append(f"masks/{name}.png")
    if codes is not None:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["name", "label"])
        w.writerows(zip(names, codes))
        atomic_write_text(out / "labels.csv", buf.getvalue())
        files.append("labels.csv")
    contact_sheet(out / "contact_sheet.png", scenes, codes, masks)
    files.append("contact_sheet.png")
    return files


def read_generated(folder: Path, domain: str) -> tuple[torch.Tensor, list[str] | None, torch.Tensor | None]:
    """Scenes ``(N, 3, H, W)``, label codes (microscopy) or masks ``(N, 1, H, W)`` bool (drone)."""
    folder = Path(folder)
    files = list_tiffs(folder / "scenes", recursive=False)
    scenes = [read_scene(f) for f in files]
    shapes = {tuple(s.shape) for s in scenes}
    if len(shapes) != 1:
        raise UserError(f"expected scenes of one size in {folder / 'scenes'}, got sizes {sorted(shapes)}")
    names = [f.stem for f in files]
    x = torch.stack(scenes)
    if domain == "microscopy":
        path = folder / "labels.csv"
        if not path.is_file():
            raise UserError(f"expected labels in {path} (name,label per line)")
        rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
        table = {r[0]: r[1] for r in rows[1:] if len(r) >= 2}
        missing = [n for n in names if n not in table]
        if missing:
            raise UserError(f"no label for scene(s) {missing[:3]} in {path}")
        return x, [table[n] for n in names], None
    masks = []
    for n in names:
        p = folder / "masks" / f"{n}.png"
        if not p.is_file():
            raise UserError(f"expected a mask {p} for scene {n}")
        masks.append(read_mask_png(p))
    m = torch.stack(masks)
    if m.shape[-2:] != x.shape[-2:]:
        raise UserError(f"masks in {folder / 'masks'} do not match the scene size {tuple(x.shape[-2:])}")
    return x, None, m
