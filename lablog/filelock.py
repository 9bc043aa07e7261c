"""Inter-process locking of one lab log with ``flock``: many readers or one writer, writers first.

DuckDB lets one process open a database file read-write, or several open it read-only, never both: a
second process gets "Conflicting lock is held". The lab log therefore never keeps the database open.
Every access is a short session — open, work, close — under one of these locks:

* ``shared()``: for read-only sessions; any number at once.
* ``exclusive()``: for read-write sessions; one at a time, with no reader.

Two lock files implement writer preference: a writer first takes the *gate* exclusively, which stops new
readers from queueing, then the *main* lock exclusively; a reader passes the gate with a shared lock
before taking *main* shared. The kernel drops ``flock`` locks when a process dies, even by SIGKILL, so a
crashed process never leaves the lab log locked. Waiting is by polling with back-off (1 → 50 ms) up to a
deadline; ``timeout_s=0`` makes one attempt. Locks are per open file, so two ``LabLog`` objects in one
process exclude each other just like two processes do.

Limits: ``flock`` is advisory (a program that opens the file directly, such as the ``duckdb`` shell,
ignores it — the connection code retries DuckDB's own lock error for that case) and on network file
systems it is only as good as the server's lock support. Where the lock folder cannot be created (a
read-only copy of a lab log), shared sessions run without it.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["LabLogLock", "LockTimeout"]


class LockTimeout(Exception):
    """The lock was not free before the deadline (internal; callers turn it into a LabLogError or retry)."""


def _acquire(fd: int, op: int, deadline: float) -> bool:
    delay = 0.001
    while True:
        try:
            fcntl.flock(fd, op | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 0.05)


class LabLogLock:
    """The gate and main lock files in ``folder`` (created on first use)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def _open(self, name: str) -> int | None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            return os.open(self.folder / name, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError:
            return None

    @contextmanager
    def _locked(self, op: int, timeout_s: float, required: bool) -> Iterator[None]:
        deadline = time.monotonic() + max(0.0, timeout_s)
        gate, main = self._open("gate"), self._open("lock")
        try:
            if gate is None or main is None:
                if required:
                    raise OSError(f"cannot create the lab log's lock files in {self.folder}")
                yield
                return
            if not _acquire(gate, op, deadline):
                raise LockTimeout
            try:
                if not _acquire(main, op, deadline):
                    raise LockTimeout
            finally:
                fcntl.flock(gate, fcntl.LOCK_UN)
            try:
                yield
            finally:
                fcntl.flock(main, fcntl.LOCK_UN)
        finally:
            for fd in (gate, main):
                if fd is not None:
                    os.close(fd)

    def shared(self, timeout_s: float) -> Iterator[None]:
        return self._locked(fcntl.LOCK_SH, timeout_s, required=False)

    def exclusive(self, timeout_s: float) -> Iterator[None]:
        return self._locked(fcntl.LOCK_EX, timeout_s, required=True)
