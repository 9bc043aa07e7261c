"""Import a local copy of a dataset (e.g. the Zenodo download, or a synthetic dataset) into the data root.

``PATH`` is a folder or a ``.zip`` archive (unpacked safely first) holding the dataset's layout at its top or
up to three folder levels down: ``images/`` + ``labels/`` for microscopy, ``images_full/`` + ``masks_full/``
(or ``images/`` + ``masks/``) for drone. ``.zip`` files inside those folders are unpacked in place, as the
bucket keeps them. Every file is copied atomically (or hard-linked with ``link=True``) with its SHA-1
recorded in the index; a file already present with the same size and SHA-1 is not copied again. Hidden files,
an existing ``index.json`` and tile caches (``tiles_*``) are not imported.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from engine.data.catalog import DatasetSpec, find_layout, get_dataset_spec
from engine.data.checksums import copy_with_sha1, file_matches, sha1_file
from engine.data.file_index import INDEX_NAME, FileIndex, load_index, save_index
from engine.data.safe_unzip import ZipLimits, safe_extract
from engine.errors import UserError
from engine.output import atomic_path
from engine.progress import progress

__all__ = ["ImportReport", "find_layout_root", "import_local", "copy_file"]

_MAX_DEPTH = 3


@dataclass
class ImportReport:
    dataset: str
    folder: Path
    source: Path
    copied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unpacked: list[str] = field(default_factory=list)  # archives


def find_layout_root(base: Path, spec: DatasetSpec) -> Path:
    """The folder at or below ``base`` (≤ 3 levels) holding the dataset's layout; exactly one must exist."""
    found: list[Path] = []
    frontier = [base]
    for _depth in range(_MAX_DEPTH + 1):
        nxt: list[Path] = []
        for d in frontier:
            if find_layout(d, spec):
                found.append(d)
                continue
            nxt.extend(sorted(p for p in d.iterdir() if p.is_dir() and not p.name.startswith(".")))
        frontier = nxt
    if not found:
        wanted = " or ".join(f"{a}/ + {b}/" for a, b in spec.layouts)
        raise UserError(f"no {spec.name} dataset in {base}: expected folders {wanted} (at most {_MAX_DEPTH} levels down)")
    if len(found) > 1:
        raise UserError(f"{base} holds several {spec.name} datasets ({', '.join(str(f) for f in found)}); import one of them")
    return found[0]


def _importable(root: Path) -> list[Path]:
    files = []
    for dirpath, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (Path(dirpath) == root and d.startswith("tiles_")))
        for n in sorted(names):
            if n.startswith(".") or (Path(dirpath) == root and n == INDEX_NAME):
                continue
            files.append(Path(dirpath, n))
    return files


def copy_file(src: Path, target: Path, *, link: bool = False) -> tuple[int, str]:
    """Copy (or hard-link) ``src`` onto ``target`` atomically; ``(size, sha1)`` of what was written."""
    with atomic_path(target) as tmp:
        if link:
            try:
                tmp.unlink()
                os.link(src, tmp)
                return src.stat().st_size, sha1_file(tmp)
            except OSError:
                pass  # another filesystem: copy instead
        with open(src, "rb") as f, open(tmp, "wb") as g:
            size, sha1 = copy_with_sha1(f, g)
        shutil.copystat(src, tmp)
        return size, sha1


def import_local(path: str | os.PathLike, dataset: str, root: str | os.PathLike, *, quiet: bool = True,
                 link: bool = False, limits: ZipLimits = ZipLimits()) -> ImportReport:
    """Import the copy of ``dataset`` at ``path`` into ``root/<dataset>``; see the module docstring.

    Every imported file's origin is ``import:<absolute PATH>``: importing again from there repairs them.
    """
    spec = get_dataset_spec(dataset)
    src = Path(path).expanduser().absolute()
    if not src.exists():
        raise UserError(f"no such file or folder: {src}")
    root = Path(root)
    dest = root / spec.name
    origin = f"import:{src}"
    staging: Path | None = None
    try:
        if src.is_file():
            if src.suffix.lower() != ".zip":
                raise UserError(f"expected a folder or a .zip archive to import, got {src}")
            root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".import-", dir=root))
            safe_extract(src, staging, limits)
        base = staging or src
        layout_root = find_layout_root(base, spec)
        layout = find_layout(layout_root, spec)
        assert layout is not None
        images_dir = layout[0]
        files = _importable(layout_root)
        in_images = [f for f in files if f.relative_to(layout_root).parts[0] == images_dir]
        if not any(len(f.relative_to(layout_root).parts) > 2 or f.suffix.lower() == ".zip" for f in in_images):
            raise UserError(f"{layout_root / images_dir} holds no raw_scaleNNN/ folders of images or .zip archives of them")
        index = load_index(dest) or FileIndex(dataset=spec.name)
        if index.dataset != spec.name:
            raise UserError(f"{dest} holds dataset {index.dataset!r}, not {spec.name!r}")
        report = ImportReport(dataset=spec.name, folder=dest, source=src)
        for i, f in enumerate(progress(files, desc="import", quiet=quiet, unit="file")):
            rel = f.relative_to(layout_root)
            if f.suffix.lower() == ".zip" and rel.parts[0] in layout:
                key = f"{origin}!{rel.as_posix()}"
                sha1 = sha1_file(f)
                if index.archive_intact(key, sha1, dest):
                    report.unchanged.append(rel.as_posix())
                    continue
                names = []
                for m in safe_extract(f, dest / rel.parent, limits):
                    r = (rel.parent / m.name).as_posix()
                    index.record(r, m.size, m.sha1, origin)
                    names.append(r)
                index.remote[key] = {"sha1": sha1, "size": f.stat().st_size, "members": sorted(names)}
                report.unpacked.append(rel.as_posix())
            else:
                key = rel.as_posix()
                target = dest / rel
                sha1 = sha1_file(f)
                size = f.stat().st_size
                if file_matches(target, size, sha1):
                    report.unchanged.append(key)
                else:
                    size, sha1 = copy_file(f, target, link=link)
                    report.copied.append(key)
                index.record(key, size, sha1, origin)
            if i % 500 == 499:
                save_index(dest, index)
        save_index(dest, index)
        return report
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
