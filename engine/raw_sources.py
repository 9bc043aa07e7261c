"""Finding raw frames on disk and the metadata that came with them.

A raw folder is either a dataset in the published layout (``images/raw_scaleNNN/``; the full-intensity
``raw_scale100`` frames are the measurement) or a flat folder of uint16 TIFFs. A ``manifest.json`` written
by ``dataengine capture`` or ``reexpose`` (in the folder or its ``images/`` parent chain) supplies the
black level the simulator used; without one, the device preset's ADC black level is assumed.
"""

from __future__ import annotations

from pathlib import Path

from engine.errors import UserError
from engine.imagefiles import list_tiffs
from engine.layout import IMAGES_DIR, intensity_folder
from engine.manifest import read_manifest

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


def manifest_black_level_dn(folder: Path) -> float | None:
    """Stored-DN black level from the nearest capture manifest at or above ``folder`` (3 levels), if any."""
    here = Path(folder).resolve()
    for path in [here, *here.parents][:4]:
        manifest = read_manifest(path)
        if manifest and "raw_meta" in manifest:
            return float(manifest["raw_meta"]["black_level_dn"])
    return None
