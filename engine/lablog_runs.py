"""Recording a command's run in the lab log (``--lablog PATH``, ``$DATAENGINE_LABLOG``, ``./lablog.duckdb``).

Commands that produce data or models (``semantic train``, ``synthesize``) wrap their work in
:func:`recorded_run`; ``--no-lablog`` turns it off. The run gets the resolved config, the seed, the command
line and git commit (``engine.run_provenance``); the command logs metrics and artifacts on it.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from engine.lablog_location import add_lablog_flag, open_lablog
from engine.run_provenance import provenance

__all__ = ["add_run_flags", "recorded_run"]


def add_run_flags(parser: argparse.ArgumentParser) -> None:
    add_lablog_flag(parser)
    parser.add_argument("--no-lablog", action="store_true", help="do not record this run in the lab log")


@contextmanager
def recorded_run(args: argparse.Namespace, experiment: str, name: str, config: Any, seed: int | None) -> Iterator[Any]:
    """A lab-log ``Run`` (or None with ``--no-lablog``), finished on success, failed/killed otherwise."""
    if getattr(args, "no_lablog", False):
        yield None
        return
    log = open_lablog(getattr(args, "lablog", None), create=True)
    try:
        with log.start_run(experiment, name, config=config, seed=seed, **provenance()) as run:
            yield run
    finally:
        log.close()
