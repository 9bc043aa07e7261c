"""Where a lab log lives on disk.

The rule (ARCHITECTURE.md): ``--lablog PATH`` on the command line, else ``$DATAENGINE_LABLOG``, else
``./lablog.duckdb`` in the current directory. The command line passes its flag and ``os.environ`` to
:func:`default_path`; ``lablog.LabLog()`` without a path applies the same rule to ``os.environ`` itself —
the one place the lab log reads the environment, so that ``LabLog()`` in a script and ``dataengine sql``
in the same shell open the same file.

Beside ``NAME.duckdb`` lies the folder ``NAME.artifacts/``: artifacts per run (``<run_id>/<name>``) and a
hidden ``.lablog/`` folder with the lock files and the journals of running runs (see :mod:`lablog.log`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from lablog.errors import LabLogError

__all__ = ["ENV_VAR", "DEFAULT_NAME", "default_path", "artifact_dir", "internal_dir", "check_db_path"]

ENV_VAR = "DATAENGINE_LABLOG"
DEFAULT_NAME = "lablog.duckdb"


def default_path(environ: Mapping[str, str] | None = None, flag: str | os.PathLike | None = None) -> Path:
    """The lab log path: ``flag`` if given, else ``environ[DATAENGINE_LABLOG]``, else ``./lablog.duckdb``."""
    if flag is not None and str(flag).strip():
        return Path(flag)
    env = os.environ if environ is None else environ
    value = env.get(ENV_VAR, "").strip()
    return Path(value) if value else Path(DEFAULT_NAME)


def check_db_path(path: str | os.PathLike) -> Path:
    p = Path(path)
    if p.name in ("", ".", "..") or p.suffix == ".artifacts":
        raise LabLogError(f"expected a lab log file path such as lablog.duckdb, got {str(path)!r}")
    if p.exists() and p.is_dir():
        raise LabLogError(f"lab log path {p} is a folder; expected a DuckDB file such as {p / DEFAULT_NAME}")
    return p


def artifact_dir(db_path: str | os.PathLike) -> Path:
    """``lablog.duckdb`` → ``lablog.artifacts`` beside it."""
    p = Path(db_path)
    return p.with_name(p.stem + ".artifacts")


def internal_dir(db_path: str | os.PathLike) -> Path:
    """Lock files and journals: ``NAME.artifacts/.lablog``."""
    return artifact_dir(db_path) / ".lablog"
