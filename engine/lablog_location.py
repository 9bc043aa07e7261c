"""Where the command line finds the lab log: ``--lablog PATH``, else ``$DATAENGINE_LABLOG``, else
``./lablog.duckdb`` (artifacts in ``lablog.artifacts/`` beside it).

The rule itself is :func:`lablog.default_path` (``lablog.LabLog()`` with no path applies it too); this
module supplies the flag and the environment and opens the lab log for a command.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import lablog

__all__ = ["add_lablog_flag", "lablog_path", "open_lablog"]


def add_lablog_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lablog", metavar="PATH", default=None,
        help=f"lab log file (default: ${lablog.ENV_VAR}, else ./{lablog.DEFAULT_NAME})",
    )


def lablog_path(flag: str | os.PathLike | None = None) -> Path:
    return lablog.default_path(os.environ, flag)


def open_lablog(flag: str | os.PathLike | None = None, *, create: bool = False) -> lablog.LabLog:
    """The lab log for a command; reading commands (``create=False``) refuse a path with no lab log."""
    return lablog.LabLog(lablog_path(flag), create=create)
