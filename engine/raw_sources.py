"""Finding raw frames on disk and the metadata that came with them.

A raw folder is either a dataset in the published layout (``images/raw_scaleNNN/``; the full-intensity
``raw_scale100`` frames are the measurement) or a flat folder of uint16 TIFFs. A ``manifest.json`` written
by ``dataengine capture`` or ``reexpose`` (in the frames' folder, up to the dataset root) supplies the
black level the simulator used; without one, the device preset's ADC black level is assumed.
"""

from __future__ import annotations

from pathlib import Path

from engine.errors import UserError
from engine.imagefiles import list_tiffs
from engine.layout import IMAGES_DIR, intensity_folder
from engine.manifest import find_raw_meta

__all__ = ["measured_frames", "manifest_black_level_dn"]


def measured_frames(folder: Path) -> tuple[Path, list[Path]]:
    """(root the names are relative to, sorted frame paths) of the full-intensity frames in ``folder``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"expected a folder of raw TIFFs, {folder} is not a folder")
    for candidate in (folder / IMAGES_DIR / intensity_folder(1.0), folder / intensity_folder(1.0)):
        if candidate.is_dir():
            return candidate, list_tiffs(candidate)
    return folder, list_tiffs(folder)


def manifest_black_level_dn(folder: Path, root: Path) -> float | None:
    """Stored-DN black level from the nearest capture manifest (see :func:`engine.manifest.find_raw_meta`)."""
    found = find_raw_meta(folder, root)
    return None if found is None else float(found[0]["black_level_dn"])
