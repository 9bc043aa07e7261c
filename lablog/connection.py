"""Opening the DuckDB file: internal sessions, the locked-down user session, retry on DuckDB's own lock.

Our processes coordinate with :mod:`lablog.filelock`; a foreign program holding the file (the ``duckdb``
shell, a notebook) shows up as DuckDB's "Conflicting lock is held" error, which is retried until the
deadline and then reported as one clear error.

The user's SQL runs on a connection that is read-only twice over: the database is attached read-only, so
DuckDB itself rejects every statement that would change it, and ``enable_external_access = false`` (locked,
with extension auto-install and auto-load off) stops ATTACH of other files, COPY ... TO, reading or
globbing arbitrary files and INSTALL. :mod:`lablog.readonly` refuses writing statements before they get
there, with a message naming them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from lablog.errors import LabLogError

__all__ = ["connect", "attached", "USER_CONFIG", "DatabaseBusy", "ALIAS"]

ALIAS = "lab"  # the lab log's catalog name inside an internal session

USER_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}


class DatabaseBusy(LabLogError):
    """Another program holds the DuckDB file."""


def _is_lock_conflict(exc: Exception) -> bool:
    text = str(exc)
    return "Conflicting lock" in text or "Could not set lock" in text


def _retrying(open_fn, path: Path, timeout_s: float):
    deadline = time.monotonic() + timeout_s
    delay = 0.005
    while True:
        try:
            return open_fn()
        except duckdb.IOException as exc:
            if not _is_lock_conflict(exc):
                raise LabLogError(f"cannot open lab log {path}: {str(exc).splitlines()[0]}") from None
            if time.monotonic() > deadline:
                raise DatabaseBusy(
                    f"lab log {path} is held open by another program (not a dataengine process) for more than "
                    f"{timeout_s:g} s; close it (e.g. a duckdb shell) and retry"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
        except duckdb.Error as exc:
            raise LabLogError(f"cannot open lab log {path}: {str(exc).splitlines()[0]}") from None


@contextmanager
def attached(host, path: Path, *, read_only: bool, timeout_s: float) -> Iterator:
    """An internal session: ``path`` attached to the in-memory ``host`` connection as the current catalog.

    Attaching to a long-lived in-memory instance costs ≈ 2 ms, against ≈ 25 ms for starting a DuckDB
    instance per session; DETACH checkpoints and releases DuckDB's file lock like closing would.
    """
    mode = " (READ_ONLY)" if read_only else ""
    target = "'" + str(path).replace("'", "''") + "'"
    _retrying(lambda: host.execute(f"ATTACH {target} AS {ALIAS}{mode}"), path, timeout_s)
    try:
        host.execute(f"USE {ALIAS}")
        yield host
    finally:
        try:
            host.execute("ROLLBACK")
        except duckdb.Error:
            pass  # no transaction open: the normal case
        host.execute("USE memory")
        host.execute(f"DETACH {ALIAS}")


def connect(path: Path, *, read_only: bool, timeout_s: float, user: bool = False):
    """A connection of its own to the file (the user's SQL session, or a plain read)."""
    config = dict(USER_CONFIG) if user else {}
    return _retrying(lambda: duckdb.connect(str(path), read_only=read_only, config=config), path, timeout_s)
