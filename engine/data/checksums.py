"""SHA-1 of files and of byte streams being copied (B2 publishes SHA-1 for every file, so we use it too)."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["CHUNK_BYTES", "sha1_file", "copy_with_sha1", "file_matches", "is_sha1"]

CHUNK_BYTES = 1 << 20
_SHA1 = re.compile(r"^[0-9a-f]{40}$")


def is_sha1(text: object) -> bool:
    """True for a 40-digit lower-case hex string."""
    return isinstance(text, str) and bool(_SHA1.match(text))


def sha1_file(path: str | os.PathLike, on_bytes: Callable[[int], None] | None = None) -> str:
    """Hex SHA-1 of a file's content, read in 1 MiB chunks; ``on_bytes(n)`` is called per chunk (progress)."""
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            digest.update(chunk)
            if on_bytes:
                on_bytes(len(chunk))
    return digest.hexdigest()


def copy_with_sha1(src: BinaryIO, dst: BinaryIO, *, limit: int | None = None,
                   on_bytes: Callable[[int], None] | None = None) -> tuple[int, str]:
    """Copy a stream, returning ``(bytes, hex SHA-1)``; raises ``ValueError`` past ``limit`` bytes."""
    digest = hashlib.sha1()
    total = 0
    while chunk := src.read(CHUNK_BYTES):
        total += len(chunk)
        if limit is not None and total > limit:
            raise ValueError(f"stream is longer than the {limit} bytes it declared")
        digest.update(chunk)
        dst.write(chunk)
        if on_bytes:
            on_bytes(len(chunk))
    return total, digest.hexdigest()


def file_matches(path: Path, size: int, sha1: str) -> bool:
    """True if ``path`` is a file of ``size`` bytes whose SHA-1 is ``sha1`` (size is checked first: cheap)."""
    try:
        if not path.is_file() or path.stat().st_size != size:
            return False
    except OSError:
        return False
    return sha1_file(path) == sha1

