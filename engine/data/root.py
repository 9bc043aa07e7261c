"""Where datasets live on disk: ``--root DIR``, else ``$DATAENGINE_DATA``, else ``~/.cache/dataengine``.

Each dataset gets its own folder under the root (``ROOT/microscopy``, ``ROOT/drone``) holding the published
layout (see :mod:`engine.layout`) and the index of what was fetched or imported (:mod:`engine.data.file_index`).
Nothing is created here; the functions only name paths.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DATA_ENV", "DEFAULT_ROOT", "data_root", "dataset_dir"]

DATA_ENV = "DATAENGINE_DATA"
DEFAULT_ROOT = "~/.cache/dataengine"


def data_root(explicit: str | os.PathLike | None = None) -> Path:
    """The data root: ``explicit`` if given, else ``$DATAENGINE_DATA`` if set and non-empty, else the default."""
    if explicit is not None and str(explicit) != "":
        return Path(explicit).expanduser()
    env = os.environ.get(DATA_ENV, "").strip()
    return Path(env or DEFAULT_ROOT).expanduser()


def dataset_dir(root: str | os.PathLike, name: str) -> Path:
    """The folder of dataset ``name`` under ``root``."""
    return Path(root) / name
