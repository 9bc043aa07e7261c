"""The small manifest written beside each output: what made it (device, seed, versions, files)."""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from engine.output import atomic_write_text

__all__ = ["versions", "write_manifest", "read_manifest", "MANIFEST_NAME"]

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
