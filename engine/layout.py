"""The published datasets' layout on disk, shared by real and synthetic data.

    images/raw_scaleNNN/<name>.tiff     raw frames at intensity ratio NNN / 100 (001, 005, ..., 100)
    labels/<any>.dat                    classification labels, one ``<name> <CODE>`` per line (name without .tiff)
    masks/<name>.png                    segmentation masks (non-zero = object), same size as the raw frame

The published Raw-Drone copy names its folders ``images_full/`` and ``masks_full/`` instead.
"""

from __future__ import annotations

import re

from engine.errors import UserError

__all__ = ["PUBLISHED_INTENSITIES", "intensity_folder", "parse_intensity_folder", "parse_intensities", "IMAGES_DIR",
           "LABELS_DIR", "LABEL_SUFFIX", "MASKS_DIR", "DRONE_IMAGES_DIR", "DRONE_MASKS_DIR"]

PUBLISHED_INTENSITIES = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0)
IMAGES_DIR = "images"
LABELS_DIR = "labels"
LABEL_SUFFIX = ".dat"
MASKS_DIR = "masks"
DRONE_IMAGES_DIR = "images_full"  # the published Raw-Drone copy's names for images/ and masks/
DRONE_MASKS_DIR = "masks_full"
_FOLDER = re.compile(r"^raw_scale(\d{3})$")


def intensity_folder(ratio: float) -> str:
    """``raw_scaleNNN`` for an intensity ratio with at most two decimals.

    >>> intensity_folder(0.05), intensity_folder(1.0)
    ('raw_scale005', 'raw_scale100')
    """
    hundredths = round(ratio * 100)
    if not (0 < ratio <= 1) or abs(hundredths - ratio * 100) > 1e-6:
        raise UserError(f"expected an intensity ratio in (0, 1] with at most two decimals, got {ratio}")
    return f"raw_scale{hundredths:03d}"


def parse_intensity_folder(name: str) -> float | None:
    """The ratio of a ``raw_scaleNNN`` folder name, or ``None`` if the name is not one."""
    m = _FOLDER.match(name)
    return int(m.group(1)) / 100 if m else None


def parse_intensities(text: str) -> tuple[float, ...]:
    """Parse ``"0.01,0.05,1.0"`` (or ``all`` for the seven published levels)."""
    if text.strip() == "all":
        return PUBLISHED_INTENSITIES
    values = []
    for part in text.split(","):
        try:
            values.append(float(part))
        except ValueError:
            raise UserError(f"expected comma-separated numbers in (0, 1], got {part!r}") from None
    for v in values:
        intensity_folder(v)  # validates range and two decimals
    if len(set(values)) != len(values):
        raise UserError(f"intensity ratios repeat in {text!r}")
    return tuple(values)
