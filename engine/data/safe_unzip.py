"""Unpack a zip archive without letting it escape its folder or fill the disk.

Every member is checked before anything is written, so a hostile archive leaves nothing behind:

- names: no absolute paths (``/x``, ``C:x``), no ``..`` or ``.`` components, no backslashes or NUL bytes,
  no duplicates (after normalisation);
- types: regular files and folders only — symbolic links, devices and FIFOs are refused;
- zip bombs: the declared uncompressed total is bounded (``max_total_bytes``), so is the compression ratio of
  every member larger than 1 MiB (``max_ratio``) and the member count; the free disk space must hold the total.
  While unpacking, a member that yields more bytes than it declared is refused (the CRC is checked as well).

``__MACOSX/`` resource forks and ``.DS_Store`` files are skipped. Each member is written atomically
(temporary name, then rename), so an interrupted unpack leaves complete files only.
"""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from engine.data.checksums import copy_with_sha1
from engine.errors import UserError
from engine.output import atomic_path

__all__ = ["ZipLimits", "Extracted", "check_member_name", "plan_members", "safe_extract"]

_DRIVE = re.compile(r"^[A-Za-z]:")
_RATIO_MIN_BYTES = 1 << 20


@dataclass(frozen=True)
class ZipLimits:
    """Bounds on what one archive may unpack to.

    The defaults fit the published archives (one intensity of Raw-Drone is ≈ 22 GB of TIFFs that deflate
    compresses less than 3×) with a wide margin.
    """

    max_total_bytes: int = 256 * 2**30
    max_ratio: float = 100.0
    max_members: int = 200_000


@dataclass(frozen=True)
class Extracted:
    name: str  # relative POSIX path inside the destination
    size: int
    sha1: str


def check_member_name(name: str, archive: str = "archive") -> PurePosixPath | None:
    """The safe relative path of a member name, ``None`` for members to skip; unsafe names raise ``UserError``.

    >>> check_member_name("raw_scale100/a.tiff")
    PurePosixPath('raw_scale100/a.tiff')
    """
    if "\x00" in name or "\\" in name:
        raise UserError(f"refusing {archive}: member {name!r} contains a backslash or NUL byte")
    if name.startswith("/") or _DRIVE.match(name):
        raise UserError(f"refusing {archive}: member {name!r} is an absolute path")
    parts = [p for p in name.split("/") if p != ""]
    if any(p in ("..", ".") for p in parts):
        raise UserError(f"refusing {archive}: member {name!r} has a '..' or '.' component (it would escape the folder)")
    if not parts or parts[0] == "__MACOSX" or parts[-1] == ".DS_Store":
        return None
    return PurePosixPath(*parts)


def _member_type_ok(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    return kind in (0, stat.S_IFREG, stat.S_IFDIR)


def plan_members(zf: zipfile.ZipFile, limits: ZipLimits, archive: str = "archive") -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """Validate every member of ``zf``; the files to write with their relative paths (folders dropped)."""
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise UserError(f"refusing {archive}: {len(infos)} members, more than the limit of {limits.max_members}")
    plan: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
    seen: set[str] = set()
    total = 0
    for info in infos:
        rel = check_member_name(info.filename, archive)
        if not _member_type_ok(info):
            raise UserError(f"refusing {archive}: member {info.filename!r} is a symbolic link or special file")
        if rel is None or info.is_dir():
            continue
        key = rel.as_posix()
        if key in seen:
            raise UserError(f"refusing {archive}: member {info.filename!r} appears twice")
        seen.add(key)
        if info.file_size > _RATIO_MIN_BYTES and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise UserError(
                f"refusing {archive}: member {info.filename!r} expands {info.file_size / max(info.compress_size, 1):.0f}x "
                f"(limit {limits.max_ratio:g}x) — a zip bomb?"
            )
        total += info.file_size
        if total > limits.max_total_bytes:
            raise UserError(
                f"refusing {archive}: it unpacks to more than the limit of {limits.max_total_bytes} bytes — a zip bomb?"
            )
        plan.append((info, rel))
    # A member may not be both a file and the folder of another member.
    for _, rel in plan:
        for parent in rel.parents:
            if parent.as_posix() in seen:
                raise UserError(f"refusing {archive}: {parent} is both a file and a folder")
    return plan


def safe_extract(zip_path: str | Path, dest: str | Path, limits: ZipLimits = ZipLimits()) -> list[Extracted]:
    """Unpack ``zip_path`` into ``dest`` after checking every member; returns the files with size and SHA-1."""
    zip_path, dest = Path(zip_path), Path(dest)
    name = zip_path.name
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UserError(f"cannot open archive {zip_path}: {exc}") from None
    with zf:
        plan = plan_members(zf, limits, name)
        need = sum(info.file_size for info, _ in plan)
        dest.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(dest).free
        if need > free:
            raise UserError(f"archive {zip_path} unpacks to {need} bytes but only {free} are free under {dest}")
        out: list[Extracted] = []
        for info, rel in plan:
            target = dest.joinpath(*rel.parts)
            try:
                with zf.open(info) as src, atomic_path(target) as tmp, open(tmp, "wb") as dst:
                    size, sha1 = copy_with_sha1(src, dst, limit=info.file_size)
            except (zipfile.BadZipFile, ValueError) as exc:
                raise UserError(f"corrupt archive {zip_path}: member {info.filename!r}: {exc}") from None
            if size != info.file_size:
                raise UserError(f"corrupt archive {zip_path}: member {info.filename!r} is {size} bytes, declared {info.file_size}")
            out.append(Extracted(rel.as_posix(), size, sha1))
        return out
