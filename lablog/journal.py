"""Per-run journals: the write-ahead record of everything a running run logged.

Every ``log_*`` call appends one JSON line to ``.lablog/journal/<run_id>.jsonl`` with a single unbuffered
``write`` before it returns, so what a call reported as logged survives the death of its process (SIGKILL,
OOM killer, Ctrl-C at any point) — the kernel holds the bytes. The same record goes into the process's
in-memory batch, which is merged into the database in short transactions (see :mod:`lablog.log`); the
database remembers how many journal bytes of each run it holds (``lablog_journal``), so a recovery replays
exactly the part that was not merged — nothing lost, nothing twice.

The process keeps an exclusive ``flock`` on its open journal for the run's lifetime. A journal nobody holds
belongs to a dead process: that is how a killed run is recognised on the same host, without pids (which
are reused) or clocks. The file is created under a hidden temporary name, locked, then renamed into place,
so no one can see it unlocked while its owner is alive. A record cut short by the death of the writer
(a last line without its newline) is ignored: its call never returned.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

__all__ = ["Journal", "read_records", "is_abandoned", "list_journals", "encode"]

SUFFIX = ".jsonl"


def encode(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, separators=(",", ":"), allow_nan=True) + "\n").encode("utf-8")


class Journal:
    """An open, locked journal for one run."""

    def __init__(self, folder: Path, run_id: str):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{run_id}{SUFFIX}"
        tmp = folder / f".{run_id}.{uuid.uuid4().hex[:8]}.tmp"
        self._fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o666)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        os.replace(tmp, self.path)
        self.size = 0

    def append(self, data: bytes) -> int:
        """Write one encoded record; returns the journal's size after it."""
        n = os.write(self._fd, data)
        if n < len(data):  # a short write (signal, full disk): finish it
            view = memoryview(data)[n:]
            while view:
                view = view[os.write(self._fd, view):]
        self.size += len(data)
        return self.size

    def close(self, delete: bool) -> None:
        if self._fd is None:
            return
        if delete:
            self.path.unlink(missing_ok=True)
        os.close(self._fd)  # releases the lock
        self._fd = None


def read_records(path: Path, offset: int = 0) -> tuple[list[dict[str, Any]], float]:
    """Complete records from byte ``offset`` on, and the file's modification time (last sign of life)."""
    with open(path, "rb") as f:
        mtime = os.fstat(f.fileno()).st_mtime
        f.seek(offset)
        data = f.read()
    records = []
    for line in data.split(b"\n")[:-1]:  # the part after the last newline is an unfinished write
        if line:
            records.append(json.loads(line))
    return records, mtime


def is_abandoned(path: Path) -> bool:
    """True if no process holds the journal's lock (its owner died or ended without deleting it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


def list_journals(folder: Path) -> dict[str, Path]:
    """run_id -> journal path; stale temporary files of writers that died while creating one are removed."""
    if not folder.is_dir():
        return {}
    out = {}
    for p in folder.iterdir():
        if p.name.endswith(SUFFIX) and not p.name.startswith("."):
            out[p.name[: -len(SUFFIX)]] = p
        elif p.name.startswith(".") and p.name.endswith(".tmp"):
            try:  # old enough that its creator cannot be between creating and locking it
                if time.time() - p.stat().st_mtime > 60 and is_abandoned(p):
                    p.unlink(missing_ok=True)
            except FileNotFoundError:
                pass
    return out
