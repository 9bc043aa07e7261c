"""What a data root (or one dataset folder) holds: ``dataengine data info``.

Per dataset: where its files came from, how many files and bytes; for microscopy the images per intensity and
class (after the reader's rules: dropped classes, skipped files); for drone the frames per intensity, the
masks and — if the tile cache was built — the segmentation and classification tiles. Describing a dataset
opens it with its reader, so a malformed dataset fails here with the reader's message.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from engine.data.catalog import DATASETS, find_layout
from engine.data.file_index import load_index
from engine.data.readers_drone import scan_drone
from engine.data.readers_microscopy import MicroscopyDataset
from engine.data.tile_cache import TileCache
from engine.data.tiling import balance, classification_tiles, classify_tiles, segmentation_tiles
from engine.errors import UserError
from engine.layout import intensity_folder

__all__ = ["guess_dataset", "describe", "summarize", "format_summary"]


def guess_dataset(folder: Path) -> str:
    """The catalog name whose layout ``folder`` has."""
    for name in DATASETS:
        if find_layout(folder, DATASETS.get(name)):
            return name
    raise UserError(f"{folder} has no dataset layout (images/ + labels/, images_full/ + masks_full/ or images/ + masks/)")


def _folder_bytes(folder: Path) -> tuple[int, int]:
    n = size = 0
    for dirpath, _dirs, files in os.walk(folder):
        for f in files:
            n += 1
            size += os.path.getsize(os.path.join(dirpath, f))
    return n, size


def describe(folder: str | Path, dataset: str | None = None, *, tile: int | None = None) -> dict[str, Any]:
    """A JSON-able description; drone ``tiles`` lists the caches built (all ``tiles_<N>/``, or size ``tile``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"no dataset folder {folder}")
    dataset = dataset or guess_dataset(folder)
    DATASETS.get(dataset)
    index = load_index(folder)
    n_files, n_bytes = _folder_bytes(folder)
    out: dict[str, Any] = {"dataset": dataset, "folder": str(folder), "files": n_files, "bytes": n_bytes,
                           "indexed_files": len(index.files) if index else None,
                           "origins": sorted({r.origin.split(":", 1)[0] for r in index.files.values()}) if index else []}
    if dataset == "microscopy":
        ds = MicroscopyDataset(folder, intensities=None)
        out.update(classes=list(ds.classes), dropped_classes=ds.dropped_classes, skipped=ds.skipped,
                   image_size=list(ds.shape or ()), device=ds.device.name,
                   per_intensity={intensity_folder(r): c for r, c in ds.counts().items()})
    else:
        frames = scan_drone(folder, None)
        out.update(frames={intensity_folder(r): len(f) for r, f in frames.intensities.items()}, masks=len(frames.masks))
        sizes = [tile] if tile is not None else sorted(
            int(d.name[len("tiles_"):]) for d in folder.glob("tiles_*") if d.is_dir() and d.name[len("tiles_"):].isdigit())
        per_frame = (frames.images_dir, frames.masks_dir) == DATASETS.get("drone").layouts[0]
        out["tiles"] = [t for t in (_tile_summary(folder, frames.masks, size, per_frame) for size in sizes) if t]
    return out


def _tile_summary(folder: Path, masks: dict, tile: int, per_frame: bool) -> dict[str, Any] | None:
    built = TileCache(folder, tile).built()
    if built is None:
        return None
    seg = car = no_car = 0
    pooled: tuple[list, list] = ([], [])
    for stem in masks:
        counts = built["frames"].get(stem, {}).get("counts", [])
        seg += len(segmentation_tiles(counts))
        if per_frame:
            c, n = classification_tiles(counts, tile)
            car, no_car = car + len(c), no_car + len(n)
        else:
            c, n = classify_tiles(counts, tile)
            pooled[0].extend((stem, i) for i in c)
            pooled[1].extend((stem, i) for i in n)
    if not per_frame:
        c, n = balance(*pooled)
        car, no_car = len(c), len(n)
    return {"size": tile, "segmentation": seg, "classification": {"car": car, "no car": no_car},
            "balanced": "per frame" if per_frame else "over the dataset"}


def summarize(root: str | Path) -> list[dict[str, Any]]:
    """Descriptions of every known dataset folder under ``root``."""
    root = Path(root)
    return [describe(root / n, n) for n in DATASETS if (root / n).is_dir()]


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def format_summary(items: list[dict[str, Any]]) -> str:
    lines = []
    for d in items:
        src = ", ".join(d["origins"]) if d["origins"] else "not fetched or imported (no index)"
        lines.append(f"{d['dataset']}: {d['folder']}  ({d['files']} files, {_size(d['bytes'])}; from {src})")
        if d["dataset"] == "microscopy":
            size = "x".join(str(v) for v in d["image_size"])
            lines.append(f"  {len(d['classes'])} classes, images {size}, device {d['device']}")
            if d["dropped_classes"]:
                lines.append("  dropped (<= 4 images): " + ", ".join(f"{c} ({n})" for c, n in d["dropped_classes"].items()))
            if d["skipped"]:
                lines.append("  skipped invalid files: " + ", ".join(d["skipped"]))
            lines.append("  intensity      total  " + " ".join(f"{c:>4}" for c in d["classes"]))
            for folder, counts in d["per_intensity"].items():
                lines.append(f"  {folder}  {sum(counts.values()):>6}  " + " ".join(f"{counts[c]:>4}" for c in d["classes"]))
        else:
            lines.append(f"  {d['masks']} masks; frames: " + ", ".join(f"{k} {v}" for k, v in d["frames"].items()))
            if not d["tiles"]:
                lines.append("  tiles: not built yet (cut on first use by the drone readers)")
            for t in d["tiles"]:
                c = t["classification"]
                lines.append(f"  tiles {t['size']}x{t['size']}: segmentation {t['segmentation']}, "
                             f"classification {c['car'] + c['no car']} (car {c['car']}, no car {c['no car']}, "
                             f"balanced {t['balanced']})")
    return "\n".join(lines)
