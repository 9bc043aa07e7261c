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
from pathlib import Path

import duckdb

from lablog.errors import LabLogError

__all__ = ["connect", "USER_CONFIG", "DatabaseBusy"]

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


def connect(path: Path, *, read_only: bool, timeout_s: float, user: bool = False):
    config = dict(USER_CONFIG) if user else {}
    deadline = time.monotonic() + timeout_s
    delay = 0.005
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config)
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
