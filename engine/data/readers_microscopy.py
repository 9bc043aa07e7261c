"""Raw-Microscopy reader: leukocyte crops at one or several intensities, with class labels.

Layout (published copy and ``dataengine synthesize`` alike)::

    images/raw_scaleNNN/<name>.tiff     uint16 raw crops (256×256 in the published set), one folder per intensity
    labels/*.dat                        ``<name> <CODE>`` per line (:mod:`engine.data.labels`)

Rules (the seed's, made explicit):

- a class with ≤ 4 labelled images in the label files is dropped (``min_images_per_class=5``), counted over
  all label lines as the seed did;
- files known to be invalid are skipped: :data:`KNOWN_INVALID_FILES` (the seed's list: one crop of the
  published set), or any list given as ``invalid_files``;
- ``classes`` are the remaining codes in alphabetical order; targets are indices into it;
- every labelled image must exist in every chosen intensity folder, be a uint16 H×W TIFF, and all must have
  the same (even) size; otherwise opening fails naming the file (and the label line). Images without a label
  are ignored.

Items are dicts: ``raw (1, H, W)`` float32 in [0, 1] (stored DN / 65535, the RGGB mosaic as stored),
``target`` (int64 class index), ``black_level (4,)``, ``white_balance (3,)``, ``colour_matrix (3, 3)``,
``intensity`` (float32 scalar) and ``name`` (``raw_scaleNNN/<name>``). The reader also has ``classes``,
``targets``, ``groups`` (the image name, shared across intensities, for splits), ``device``, ``camera``,
``cfa_pattern``, ``dropped_classes`` and ``skipped``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import torch
from torch.utils.data import Dataset

from engine.data.camera import camera_tensors, dataset_camera
from engine.data.catalog import find_layout, get_dataset_spec
from engine.data.labels import LABEL_CODES, read_labels
from engine.data.raw_scan import check_raw_tiff, intensity_dirs, load_raw01, raw_files, select_intensities
from engine.errors import UserError
from engine.layout import intensity_folder

__all__ = ["KNOWN_INVALID_FILES", "MIN_IMAGES_PER_CLASS", "MicroscopyDataset"]

# Crops of the published Raw-Microscopy set that the seed excluded (names without .tiff).
KNOWN_INVALID_FILES: tuple[str, ...] = ("Ma190c_lame3_zone13_composite_Mcropped_2",)
MIN_IMAGES_PER_CLASS = 5  # classes with <= 4 images are dropped


def _stem(name: str) -> str:
    for suffix in (".tiff", ".tif"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


class MicroscopyDataset(Dataset):
    """Raw-Microscopy (or a synthetic dataset in its layout); see the module docstring."""

    task = "classification"

    def __init__(self, folder: str | Path, intensities: float | tuple[float, ...] | None = (1.0,), *,
                 invalid_files: tuple[str, ...] | list[str] = KNOWN_INVALID_FILES,
                 min_images_per_class: int = MIN_IMAGES_PER_CLASS,
                 known_codes: tuple[str, ...] | None = LABEL_CODES, check_files: bool = True):
        if isinstance(intensities, (int, float)):
            intensities = (float(intensities),)
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise UserError(f"no dataset folder {self.folder}")
        spec = get_dataset_spec("microscopy")
        layout = find_layout(self.folder, spec)
        if layout is None:
            missing = [d for d in spec.layouts[0] if not (self.folder / d).is_dir()]
            raise UserError(f"{self.folder} is not a microscopy dataset: folder(s) {', '.join(m + '/' for m in missing)} missing")
        images_dir, labels_dir = layout
        dirs = select_intensities(intensity_dirs(self.folder / images_dir), intensities, self.folder / images_dir)
        labels = read_labels(self.folder / labels_dir, known_codes)

        counts = Counter(entry.code for entry in labels)
        self.classes = tuple(sorted(c for c, n in counts.items() if n >= min_images_per_class))
        self.dropped_classes = {c: n for c, n in sorted(counts.items()) if n < min_images_per_class}
        invalid = {_stem(n) for n in invalid_files}
        kept = [e for e in labels if e.code in self.classes and e.name not in invalid]
        self.skipped = sorted({e.name for e in labels if e.name in invalid})
        if not kept:
            raise UserError(f"no labelled images left in {self.folder / labels_dir} after dropping classes with "
                            f"fewer than {min_images_per_class} images and invalid files")

        self.intensities = tuple(dirs)
        self.paths: list[Path] = []
        self.items: list[tuple[float, int]] = []
        self.shape: tuple[int, int] | None = None
        for r, d in dirs.items():
            files = raw_files(d)
            for entry in kept:
                path = files.get(entry.name)
                if path is None:
                    raise UserError(f"{entry.where}: image {entry.name!r} is missing from {d} "
                                    "(pass it in invalid_files to skip it)")
                if check_files or self.shape is None:
                    self.shape = check_raw_tiff(path, self.shape)
                self.paths.append(path)
                self.items.append((r, self.classes.index(entry.code)))
        self.targets = [t for _, t in self.items]
        self.groups = [p.stem for p in self.paths]
        self.names = [f"{intensity_folder(r)}/{p.stem}" for (r, _), p in zip(self.items, self.paths)]

        cam = dataset_camera(self.folder, spec.device)
        self.device, self.camera, self.cfa_pattern = cam.device, cam.camera, cam.cfa_pattern
        self._camera = camera_tensors(self.camera)

    def __len__(self) -> int:
        return len(self.items)

    def counts(self) -> dict[float, dict[str, int]]:
        """Images per intensity and class."""
        out: dict[float, dict[str, int]] = {r: {c: 0 for c in self.classes} for r in self.intensities}
        for r, t in self.items:
            out[r][self.classes[t]] += 1
        return out

    def __getitem__(self, idx: int) -> dict:
        r, t = self.items[idx]
        return {"raw": load_raw01(self.paths[idx], self.shape), "target": torch.tensor(t, dtype=torch.int64),
                **{k: v.clone() for k, v in self._camera.items()}, "intensity": torch.tensor(r, dtype=torch.float32), "name": self.names[idx]}
