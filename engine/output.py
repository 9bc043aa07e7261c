"""Atomic output: single files via a temporary name and rename, whole output folders via a staging folder.

A command that writes many files writes them into a hidden staging folder beside ``--out`` and moves them
into place only when it has finished; on any error (or Ctrl-C) the staging folder is removed, so a failed
command leaves no half-written file behind. A process killed with SIGKILL can leave a hidden
``.NAME.partial-*`` folder beside the output, never a partial file inside it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "staged_output"]


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``, else delete it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp" + target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_with(path: str | os.PathLike, writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp_path)`` and rename the result onto ``path``."""
    with atomic_path(path) as tmp:
        writer(tmp)


@contextmanager
def staged_output(out_dir: str | os.PathLike) -> Iterator[Path]:
    """Yield a staging folder; on success its files move into ``out_dir`` (created or merged into)."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        from engine.errors import UserError

        raise UserError(f"output {out} exists and is not a folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    if not out.exists():
        os.replace(stage, out)
        return
    for root, _dirs, files in os.walk(stage):
        rel = Path(root).relative_to(stage)
        (out / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            os.replace(Path(root) / name, out / rel / name)
    shutil.rmtree(stage, ignore_errors=True)
