"""The on-disk cache of drone tiles: cut once from the full frames, read as small files afterwards.

    <dataset>/tiles_<T>/index.json              per frame: mask file fingerprint, frame size, car pixels per tile
    <dataset>/tiles_<T>/masks/<frame>_<i>.png   mask tiles that contain cars (others are all zero)
    <dataset>/tiles_<T>/raw_scaleNNN/<frame>_<i>.tiff   raw tiles (uint16, the frame's stored DN, unchanged)
    <dataset>/tiles_<T>/raw_scaleNNN/sources.json        fingerprints of the frames the tiles came from

``<i>`` is the tile's index in its frame (5 digits, row-major, see :mod:`engine.data.tiling`). A fingerprint
is a file's size and modification time: a frame or mask that changes has its tiles cut again. Only the tiles
some reader asked for are written; every file is written atomically, so an interrupted build resumes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tifffile
import torch

from engine.data.masks import read_mask, write_mask
from engine.data.raw_scan import check_raw_tiff
from engine.data.tiling import cut_tile, tile_counts
from engine.errors import UserError
from engine.imagefiles import write_raw
from engine.layout import intensity_folder
from engine.output import atomic_write_text
from engine.progress import progress

__all__ = ["FrameTiles", "tile_name", "TileCache"]

_FORMAT = 1


@dataclass(frozen=True)
class FrameTiles:
    stem: str
    height: int
    width: int
    counts: tuple[int, ...]  # car pixels per tile


def tile_name(stem: str, index: int) -> str:
    return f"{stem}_{index:05d}"


def _fingerprint(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def _load_json(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and data.get("format") == _FORMAT else {}
    except (json.JSONDecodeError, OSError):
        return {}  # a damaged cache index is rebuilt


class TileCache:
    """Tiles of size ``tile`` for the frames of one drone dataset folder."""

    def __init__(self, folder: Path, tile: int, quiet: bool = True):
        self.dir = Path(folder) / f"tiles_{tile}"
        self.tile = tile
        self.quiet = quiet

    # --- masks and car counts (intensity-independent) ------------------------------------------------
    def frames(self, masks: dict[str, Path]) -> dict[str, FrameTiles]:
        """Car pixels per tile for every frame ``{stem: mask path}``, computed once and cached."""
        index_path = self.dir / "index.json"
        data = _load_json(index_path)
        entries = data.get("frames", {}) if data.get("tile") == self.tile else {}
        changed = False
        out: dict[str, FrameTiles] = {}
        todo = [s for s, p in masks.items() if entries.get(s, {}).get("mask") != [p.name, *_fingerprint(p)]]
        for stem in progress(todo, desc="tiling masks", quiet=self.quiet or not todo, unit="frame"):
            path = masks[stem]
            mask = read_mask(path)
            counts = tile_counts(mask, self.tile)
            for i in np.flatnonzero(counts > 0):
                write_mask(self.dir / "masks" / f"{tile_name(stem, int(i))}.png", cut_tile(mask, int(i), self.tile))
            entries[stem] = {"mask": [path.name, *_fingerprint(path)], "height": int(mask.shape[0]),
                             "width": int(mask.shape[1]), "counts": [int(c) for c in counts]}
            changed = True
        for stem in masks:
            e = entries[stem]
            out[stem] = FrameTiles(stem, e["height"], e["width"], tuple(e["counts"]))
        if changed:
            atomic_write_text(index_path, json.dumps({"format": _FORMAT, "tile": self.tile, "frames": entries}) + "\n")
        return out

    def mask_path(self, stem: str, index: int) -> Path:
        return self.dir / "masks" / f"{tile_name(stem, index)}.png"

    # --- raw tiles (per intensity) --------------------------------------------------------------------
    def raw_dir(self, intensity: float) -> Path:
        return self.dir / intensity_folder(intensity)

    def raw_path(self, intensity: float, stem: str, index: int) -> Path:
        return self.raw_dir(intensity) / f"{tile_name(stem, index)}.tiff"

    def ensure_raw(self, intensity: float, frames: dict[str, Path], shapes: dict[str, FrameTiles],
                   wanted: dict[str, list[int]]) -> None:
        """Make sure the raw tiles ``wanted[stem]`` of the frames ``{stem: tiff}`` exist and are current."""
        out_dir = self.raw_dir(intensity)
        src_path = out_dir / "sources.json"
        sources = _load_json(src_path).get("frames", {})
        todo = []
        for stem, idx in wanted.items():
            fp = [frames[stem].name, *_fingerprint(frames[stem])]
            stale = sources.get(stem) != fp
            missing = [i for i in idx if stale or not self.raw_path(intensity, stem, i).is_file()]
            if missing:
                todo.append((stem, missing, fp))
        if not todo:
            return
        try:
            for stem, missing, fp in progress(todo, desc=f"tiling {intensity_folder(intensity)}", quiet=self.quiet, unit="frame"):
                path = frames[stem]
                shape = shapes[stem]
                check_raw_tiff(path, (shape.height, shape.width))
                try:
                    frame = tifffile.imread(path)
                except Exception as exc:  # tifffile raises several types for corrupt files
                    raise UserError(f"cannot read TIFF {path}: {exc}") from None
                for i in missing:
                    write_raw(self.raw_path(intensity, stem, i), torch.from_numpy(cut_tile(frame, i, self.tile).astype(np.float32)))
                sources[stem] = fp
        finally:
            atomic_write_text(src_path, json.dumps({"format": _FORMAT, "frames": sources}) + "\n")

    def built(self) -> dict | None:
        """The cached car counts (for ``dataengine data info``) without building anything."""
        data = _load_json(self.dir / "index.json")
        return data if data.get("tile") == self.tile else None

