"""Artifact files: where they go, how they are written, how they are checked when read back.

Layout: ``NAME.artifacts/<run_id>/<name>`` (a model ``isp`` is ``<run_id>/isp.safetensors``, an image
``demosaic`` is ``<run_id>/demosaic.png``). A file is written under a hidden temporary name in the run's
folder, hashed (sha256) as it is written, flushed to disk and renamed into place; only then is its row
journaled. So a row always has its file; a process killed in between leaves at most a file without a row,
which the recovery of that run deletes. Names are relative paths of letters, digits and ``._-/``, with
no empty, ``.`` or ``..`` part and no leading dot; a name is logged once per run (artifacts are
immutable), so no file is ever counted twice.

Reading (``verified_bytes``) re-hashes the file and refuses it when it does not match the recorded sha256.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from lablog.errors import LabLogError

__all__ = ["KINDS", "URI_PREFIX", "sha256_of", "check_name", "write_bytes", "copy_file", "verified_bytes", "parse_uri", "remove_orphans"]

KINDS = ("file", "image", "tensor", "model")
URI_PREFIX = "lablog:"
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*$")


def check_name(name: object, what: str = "artifact name") -> str:
    if not isinstance(name, str) or len(name) > 500 or not _NAME.match(name):
        raise LabLogError(
            f"expected an {what} made of letters, digits and ._-/ (relative, no leading dot, no '..'), got {name!r}"
        )
    if any(part in (".", "..") for part in name.split("/")):
        raise LabLogError(f"expected an {what} without '.' or '..' parts, got {name!r}")
    return name


def _tmp_in(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    os.close(fd)
    return Path(tmp)


def _place(tmp: Path, target: Path) -> None:
    if target.exists():
        tmp.unlink(missing_ok=True)
        raise LabLogError(f"artifact file {target} already exists; artifact names are logged once per run")
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, target)


def write_bytes(root: Path, relpath: str, data: bytes) -> tuple[int, str]:
    """Write ``data`` to ``root/relpath`` atomically; returns (bytes, sha256 hex)."""
    target = root / relpath
    tmp = _tmp_in(target.parent)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        _place(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return len(data), hashlib.sha256(data).hexdigest()


def copy_file(root: Path, relpath: str, source: Path, expect_sha256: str | None = None) -> tuple[int, str]:
    """Copy ``source`` to ``root/relpath`` atomically while hashing it; returns (bytes, sha256 hex)."""
    target = root / relpath
    tmp = _tmp_in(target.parent)
    h, n = hashlib.sha256(), 0
    try:
        with open(source, "rb") as src, open(tmp, "wb") as dst:
            while chunk := src.read(1 << 20):
                h.update(chunk)
                dst.write(chunk)
                n += len(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        if expect_sha256 is not None and h.hexdigest() != expect_sha256:
            raise LabLogError(f"artifact {source} does not match its recorded sha256 ({expect_sha256[:12]}…); refusing to copy it")
        shutil.copystat(source, tmp, follow_symlinks=True)
        _place(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return n, h.hexdigest()


def verified_bytes(root: Path, uri: str, relpath: str, sha256: str) -> bytes:
    path = root / relpath
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LabLogError(f"artifact {uri}: its file {path} is missing") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise LabLogError(
            f"artifact {uri} failed its integrity check: {path} has sha256 {actual[:16]}…, the lab log recorded "
            f"{sha256[:16]}… (the file was modified or corrupted after it was logged); refusing to load it"
        )
    return data


def parse_uri(uri: object) -> tuple[str, str]:
    """``lablog:<run_id>/<name>`` → (run_id, name)."""
    if not isinstance(uri, str) or not uri.startswith(URI_PREFIX) or "/" not in uri[len(URI_PREFIX):]:
        raise LabLogError(f"expected an artifact URI lablog:<run_id>/<name>, got {uri!r}")
    run_id, name = uri[len(URI_PREFIX):].split("/", 1)
    if not run_id:
        raise LabLogError(f"expected an artifact URI lablog:<run_id>/<name>, got {uri!r}")
    return run_id, check_name(name)


def remove_orphans(root: Path, run_id: str, referenced: set[str]) -> list[str]:
    """Delete files in the run's folder that no artifact row refers to (written by a process that died)."""
    folder = root / run_id
    removed = []
    if not folder.is_dir():
        return removed
    for dirpath, _dirs, files in os.walk(folder, topdown=False):
        for name in files:
            rel = Path(dirpath, name).relative_to(root).as_posix()
            if rel not in referenced:
                Path(dirpath, name).unlink(missing_ok=True)
                removed.append(rel)
        if not os.listdir(dirpath):
            os.rmdir(dirpath)
    return removed


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
