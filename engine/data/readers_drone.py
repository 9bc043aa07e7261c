"""Raw-Drone readers: full aerial raw frames + car masks, served as 256×256 tiles.

Layout (published copy / synthetic datasets)::

    images_full/raw_scaleNNN/<frame>.tif[f]   or   images/raw_scaleNNN/<frame>.tiff
    masks_full/<frame>.png                    or   masks/<frame>.png      (non-zero = car; .tif also read)

A mask belongs to the frame with the same name, or else to the one frame whose name its own name contains
(``DJI_0001_mask.png``). Every chosen intensity must hold the same frames, each with a mask of its size.

- :class:`DroneSegmentation`: tiles containing cars; target = the mask tile ``(1, T, T)`` float32 in {0, 1};
- :class:`DroneClassification`: ``classes = ("car", "no car")`` (indices 0 and 1, the seed's), tiles with
  0 < car fraction ≤ ``threshold`` dropped, balanced with a fixed ``seed`` (:mod:`engine.data.tiling`):
  ``balance="frame"`` per frame as the seed did, ``"dataset"`` over the pooled tiles; the default ``"auto"``
  is per frame for the published layout (``images_full/``) and over the dataset for ``images/`` + ``masks/``
  (synthetic sets of single 256² tiles, where per-frame balancing would drop every tile).

Items are dicts: ``raw (1, T, T)`` float32 in [0, 1] (stored DN / 65535, Bayer mosaic as stored), ``target``,
``black_level (4,)``, ``white_balance (3,)``, ``colour_matrix (3, 3)``, ``intensity`` (float32 scalar) and
``name`` (``raw_scaleNNN/<frame>_<tile>``). The reader also has ``device``, ``camera``, ``cfa_pattern``,
``targets`` (classification), ``groups`` (one per tile, shared across intensities, for splits).
Tiles are cut on first use and cached on disk (:mod:`engine.data.tile_cache`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from engine.data.camera import camera_tensors, dataset_camera
from engine.data.catalog import find_layout, get_dataset_spec
from engine.data.masks import MASK_SUFFIXES, read_mask
from engine.data.raw_scan import check_raw_tiff, intensity_dirs, raw_files, select_intensities, to_unit_range
from engine.data.tile_cache import FrameTiles, TileCache, tile_name
from engine.data.tiling import CAR_THRESHOLD, CLASSIFICATION_SEED, balance, classification_tiles, classify_tiles, segmentation_tiles
from engine.errors import UserError
from engine.imagefiles import read_raw
from engine.layout import intensity_folder

__all__ = ["TILE_SIZE", "DroneFrames", "scan_drone", "DroneSegmentation", "DroneClassification"]

TILE_SIZE = 256


@dataclass(frozen=True)
class DroneFrames:
    folder: Path
    images_dir: str
    masks_dir: str
    intensities: dict[float, dict[str, Path]]  # ratio → {frame stem: tiff}
    masks: dict[str, Path]  # frame stem → mask


def _match_masks(frames: list[str], masks_dir: Path) -> dict[str, Path]:
    if not masks_dir.is_dir():
        raise UserError(f"expected a masks folder {masks_dir}; it is missing")
    files = sorted(p for p in masks_dir.iterdir() if p.is_file() and p.suffix.lower() in MASK_SUFFIXES and not p.name.startswith("."))
    by_stem = {p.stem: p for p in files}
    out = {}
    for stem in frames:
        if stem in by_stem:
            out[stem] = by_stem[stem]
            continue
        cands = [p for p in files if stem in p.stem]
        if len(cands) != 1:
            what = "no mask" if not cands else f"several masks ({', '.join(p.name for p in cands)})"
            raise UserError(f"frame {stem!r} has {what} in {masks_dir}; expected {stem}.png")
        out[stem] = cands[0]
    return out


def scan_drone(folder: str | Path, intensities: tuple[float, ...] | None = None) -> DroneFrames:
    """Find the frames and masks of a drone dataset folder and check that they pair up."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"no dataset folder {folder}")
    spec = get_dataset_spec("drone")
    layout = find_layout(folder, spec)
    if layout is None:
        wanted = " or ".join(f"{a}/ + {b}/" for a, b in spec.layouts)
        raise UserError(f"{folder} is not a drone dataset: expected folders {wanted}")
    images_dir, masks_dir = layout
    dirs = select_intensities(intensity_dirs(folder / images_dir), intensities, folder / images_dir)
    per: dict[float, dict[str, Path]] = {}
    for r, d in dirs.items():
        per[r] = raw_files(d)
        if not per[r]:
            raise UserError(f"no .tif/.tiff frames in {d}")
    first_r, first = next(iter(per.items()))
    for r, files in per.items():
        if set(files) != set(first):
            odd = sorted(set(files) ^ set(first))[:3]
            raise UserError(
                f"{dirs[r]} and {dirs[first_r]} hold different frames (e.g. {', '.join(odd)}); every intensity needs the same"
            )
    masks = _match_masks(list(first), folder / masks_dir)
    return DroneFrames(folder, images_dir, masks_dir, per, masks)


class _DroneTiles(Dataset):
    task = "segmentation"

    def __init__(self, folder: str | Path, intensities: float | tuple[float, ...] = (1.0,), *,
                 tile: int = TILE_SIZE, quiet: bool = True):
        if isinstance(intensities, (int, float)):
            intensities = (float(intensities),)
        self.folder = Path(folder)
        self.tile = int(tile)
        frames = scan_drone(self.folder, tuple(intensities))
        self.layout = (frames.images_dir, frames.masks_dir)
        self.intensities = tuple(frames.intensities)
        cam = dataset_camera(self.folder, get_dataset_spec("drone").device)
        self.device, self.camera, self.cfa_pattern = cam.device, cam.camera, cam.cfa_pattern
        self._camera = camera_tensors(self.camera)
        self.cache = TileCache(self.folder, self.tile, quiet)
        # Frame sizes must match their masks before any tile is cut.
        shapes = self.cache.frames(frames.masks)
        for r, files in frames.intensities.items():
            for stem, path in files.items():
                check_raw_tiff(path, (shapes[stem].height, shapes[stem].width))
        chosen = self._choose(shapes)  # [(stem, tile index, target)]
        if not chosen:
            raise UserError(f"no {type(self).__name__} tiles of {self.tile}x{self.tile} in {self.folder} "
                            "(frames smaller than a tile, no cars, or nothing left to balance)")
        wanted: dict[str, list[int]] = {}
        for stem, i, _ in chosen:
            wanted.setdefault(stem, []).append(i)
        for r, files in frames.intensities.items():
            self.cache.ensure_raw(r, files, shapes, wanted)
        self.items = [(r, stem, i, t) for r in self.intensities for stem, i, t in chosen]
        self.names = [f"{intensity_folder(r)}/{tile_name(s, i)}" for r, s, i, _ in self.items]
        self.groups = [tile_name(s, i) for _, s, i, _ in self.items]

    def _choose(self, shapes: dict[str, FrameTiles]) -> list[tuple[str, int, int]]:
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self.items)

    def _raw(self, r: float, stem: str, i: int) -> torch.Tensor:
        path = self.cache.raw_path(r, stem, i)
        raw = read_raw(path)
        if tuple(raw.shape[-2:]) != (self.tile, self.tile):
            raise UserError(f"cached tile {path} is {raw.shape[-2]}x{raw.shape[-1]}; delete {self.cache.dir} to rebuild it")
        return to_unit_range(raw)

    def _item(self, idx: int, target: torch.Tensor) -> dict:
        r, stem, i, _ = self.items[idx]
        return {"raw": self._raw(r, stem, i), "target": target, **{k: v.clone() for k, v in self._camera.items()},
                "intensity": torch.tensor(r, dtype=torch.float32), "name": self.names[idx]}


class DroneSegmentation(_DroneTiles):
    """Tiles that contain cars, with their masks (see the module docstring)."""

    task = "segmentation"

    def _choose(self, shapes: dict[str, FrameTiles]) -> list[tuple[str, int, int]]:
        return [(stem, i, 1) for stem, f in shapes.items() for i in segmentation_tiles(f.counts)]

    def __getitem__(self, idx: int) -> dict:
        _, stem, i, _ = self.items[idx]
        mask = torch.from_numpy(read_mask(self.cache.mask_path(stem, i)).astype(np.float32)[None])
        return self._item(idx, mask)


class DroneClassification(_DroneTiles):
    """Car / no-car tiles, balanced (see the module docstring)."""

    task = "classification"
    classes = ("car", "no car")

    def __init__(self, folder: str | Path, intensities: float | tuple[float, ...] = (1.0,), *,
                 tile: int = TILE_SIZE, threshold: float = CAR_THRESHOLD, seed: int = CLASSIFICATION_SEED,
                 balance: str = "auto", quiet: bool = True):
        if not 0 <= threshold < 1:
            raise UserError(f"expected a car-fraction threshold in [0, 1), got {threshold}")
        if balance not in ("auto", "frame", "dataset"):
            raise UserError(f"unknown balancing {balance!r}; expected one of: auto, dataset, frame")
        self.threshold, self.seed, self.balance = float(threshold), int(seed), balance
        super().__init__(folder, intensities, tile=tile, quiet=quiet)
        self.targets = [t for *_, t in self.items]

    def _choose(self, shapes: dict[str, FrameTiles]) -> list[tuple[str, int, int]]:
        mode = self.balance
        if mode == "auto":
            mode = "frame" if self.layout == get_dataset_spec("drone").layouts[0] else "dataset"
        self.balance_used = mode
        if mode == "frame":
            out = []
            for stem, f in shapes.items():
                car, no_car = classification_tiles(f.counts, self.tile, self.threshold, self.seed)
                out += [(stem, i, 0) for i in car] + [(stem, i, 1) for i in no_car]
            return out
        cars, empties = [], []
        for stem, f in shapes.items():
            car, no_car = classify_tiles(f.counts, self.tile, self.threshold)
            cars += [(stem, i) for i in car]
            empties += [(stem, i) for i in no_car]
        cars, empties = balance(cars, empties, self.seed)
        return sorted([(s, i, 0) for s, i in cars] + [(s, i, 1) for s, i in empties])

    def __getitem__(self, idx: int) -> dict:
        return self._item(idx, torch.tensor(self.items[idx][3], dtype=torch.int64))
