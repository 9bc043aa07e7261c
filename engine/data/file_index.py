"""The index of a dataset folder: every file that was fetched or imported, with its size and SHA-1.

``ROOT/<dataset>/index.json``::

    {"format": 1, "dataset": "microscopy",
     "files":  {"images/raw_scale100/x.tiff": {"size": 131208, "sha1": "…", "origin": "b2:<key>"}, …},
     "remote": {"<bucket key>": {"size": …, "sha1": "…", "members": ["images/raw_scale100/x.tiff", …]}}}

``origin`` says where a file can be fetched again: ``b2:<bucket key>`` (the file itself, or the archive it was
unpacked from) or ``file:<absolute path>`` (an imported local copy). ``remote`` remembers which bucket objects
are complete locally, so a second fetch downloads nothing. The index is rewritten atomically after every
completed object; an interrupted fetch loses at most the object in flight.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.data.checksums import file_matches
from engine.errors import UserError
from engine.output import atomic_write_text

__all__ = ["INDEX_NAME", "FileRecord", "FileIndex", "load_index", "save_index"]

INDEX_NAME = "index.json"
_FORMAT = 1


@dataclass(frozen=True)
class FileRecord:
    size: int
    sha1: str
    origin: str


@dataclass
class FileIndex:
    dataset: str
    files: dict[str, FileRecord] = field(default_factory=dict)
    remote: dict[str, dict[str, Any]] = field(default_factory=dict)

    def record(self, rel: str, size: int, sha1: str, origin: str) -> None:
        self.files[rel] = FileRecord(int(size), sha1, origin)

    def total_bytes(self) -> int:
        return sum(r.size for r in self.files.values())

    def archive_intact(self, key: str, sha1: str, folder: Path) -> bool:
        """Was the archive ``key`` with this SHA-1 unpacked here, and is every member still intact on disk?"""
        entry = self.remote.get(key)
        if not entry or entry.get("sha1") != sha1:
            return False
        for rel in entry.get("members", []):
            rec = self.files.get(rel)
            if rec is None or not file_matches(folder / rel, rec.size, rec.sha1):
                return False
        return True


def load_index(folder: str | Path) -> FileIndex | None:
    """The index of ``folder``, or ``None`` if it has none."""
    path = Path(folder) / INDEX_NAME
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != _FORMAT:
            raise UserError(f"index {path} has format {data.get('format')!r}; expected {_FORMAT}")
        files = {k: FileRecord(int(v["size"]), str(v["sha1"]), str(v["origin"])) for k, v in data["files"].items()}
        return FileIndex(dataset=str(data["dataset"]), files=files, remote=dict(data.get("remote", {})))
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, UserError):
            raise
        raise UserError(f"malformed index {path}: {exc}; delete it and fetch or import again") from None


def save_index(folder: str | Path, index: FileIndex) -> Path:
    path = Path(folder) / INDEX_NAME
    data = {
        "format": _FORMAT,
        "dataset": index.dataset,
        "files": {k: {"size": r.size, "sha1": r.sha1, "origin": r.origin} for k, r in sorted(index.files.items())},
        "remote": dict(sorted(index.remote.items())),
    }
    atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True) + "\n")
    return path
