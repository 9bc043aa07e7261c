"""The small manifest written beside each output: what made it (device, seed, versions, files)."""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from engine.layout import IMAGES_DIR, parse_intensity_folder
from engine.output import atomic_write_text

__all__ = ["versions", "write_manifest", "read_manifest", "find_raw_meta", "MANIFEST_NAME"]

MANIFEST_NAME = "manifest.json"


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("dataengine", "torch", "numpy", "kornia", "tifffile"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def write_manifest(folder: Path, content: dict[str, Any]) -> Path:
    path = Path(folder) / MANIFEST_NAME
    atomic_write_text(path, json.dumps({**content, "versions": versions()}, indent=2, sort_keys=True) + "\n")
    return path


def read_manifest(folder: Path) -> dict[str, Any] | None:
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        from engine.errors import UserError

        raise UserError(f"malformed manifest {path}: {exc}") from None


def _search_path(folder: Path, root: Path) -> list[Path]:
    here, top = Path(folder).resolve(), Path(root).resolve()
    chain = [here, *here.parents]
    path = chain[: chain.index(top) + 1] if top in chain else [here]
    if parse_intensity_folder(top.name) is not None:
        path.append(top := top.parent)
    if top.name == IMAGES_DIR:
        path.append(top.parent)
    return path


def find_raw_meta(folder: Path, root: Path) -> tuple[dict[str, Any], Path] | None:
    """``raw_meta`` of the nearest capture manifest, and the folder it is in.

    Searched: ``folder`` and its parents up to ``root`` (the folder the user named); above ``root`` only the
    dataset layout's own folders, so ``root`` = ``DATA/images/raw_scaleNNN`` or ``DATA/images`` finds
    ``DATA``'s manifest — never an unrelated manifest further up.
    """
    for path in _search_path(folder, root):
        manifest = read_manifest(path)
        if manifest and isinstance(manifest.get("raw_meta"), dict):
            return manifest["raw_meta"], path
    return None
