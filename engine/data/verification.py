"""Check every file of the datasets under a data root against the SHA-1 its index records, and repair.

A file is *missing* (gone), or *corrupt* (other size or SHA-1). ``repair=True`` gets the bad files back from
where the index says they came from: ``b2:`` origins by fetching the dataset again (only objects that are no
longer complete are downloaded), ``import:`` origins by importing again from that path. Files that were never
fetched or imported (e.g. the tile cache) are not checked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.data.catalog import DATASETS
from engine.data.checksums import sha1_file
from engine.data.file_index import load_index
from engine.errors import UserError
from engine.progress import progress

__all__ = ["VerifyReport", "indexed_datasets", "check_dataset", "verify"]


@dataclass
class VerifyReport:
    dataset: str
    folder: Path
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        bad = set(self.missing) | set(self.corrupt)
        return bad <= set(self.repaired)


def indexed_datasets(root: Path) -> list[str]:
    """Names of the known datasets under ``root`` that have an index."""
    return [name for name in DATASETS if load_index(root / name) is not None]


def check_dataset(root: Path, name: str, *, quiet: bool = True) -> VerifyReport:
    folder = root / name
    index = load_index(folder)
    if index is None:
        raise UserError(f"{folder} has no index.json: fetch or import {name} first")
    report = VerifyReport(dataset=name, folder=folder)
    for rel, rec in progress(sorted(index.files.items()), desc=f"verify {name}", quiet=quiet, unit="file"):
        path = folder / rel
        report.checked += 1
        if not path.is_file():
            report.missing.append(rel)
        elif path.stat().st_size != rec.size or sha1_file(path) != rec.sha1:
            report.corrupt.append(rel)
    return report


def _repair(root: Path, report: VerifyReport, bucket: Any, quiet: bool) -> None:
    from engine.data.b2_fetch import fetch
    from engine.data.local_import import import_local

    index = load_index(report.folder)
    assert index is not None
    bad = report.missing + report.corrupt
    origins = {index.files[rel].origin for rel in bad}
    if any(o.startswith("b2:") for o in origins):
        fetch(report.dataset, root, bucket, quiet=quiet)
    for source in sorted({o[len("import:"):] for o in origins if o.startswith("import:")}):
        if not Path(source).exists():
            raise UserError(f"cannot repair {report.dataset}: its files were imported from {source}, which is gone")
        import_local(source, report.dataset, root, quiet=quiet)
    after = check_dataset(root, report.dataset, quiet=True)
    still = set(after.missing) | set(after.corrupt)
    report.repaired = [rel for rel in bad if rel not in still]


def verify(root: str | os.PathLike, datasets: list[str] | None = None, *, repair: bool = False,
           bucket: Any = None, quiet: bool = True) -> list[VerifyReport]:
    """Verify (and with ``repair`` re-fetch or re-import) the given datasets, default all indexed ones."""
    root = Path(root)
    names = datasets or indexed_datasets(root)
    if not names:
        raise UserError(f"no fetched or imported datasets under {root} (run `dataengine data fetch` or `data import`)")
    for n in names:
        DATASETS.get(n)
    reports = [check_dataset(root, n, quiet=quiet) for n in names]
    if repair:
        for r in reports:
            if r.missing or r.corrupt:
                _repair(root, r, bucket, quiet)
    return reports
