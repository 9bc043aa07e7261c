"""``dataengine runs``: a table of runs with their key metrics.

``--experiment`` and ``--status`` filter; ``--metrics a,b`` picks the metric columns (default: the four
metric keys most runs have, by name). Values are the latest of each metric (``latest_metrics``).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

import lablog
from engine.cli import add_common
from engine.lablog_location import add_lablog_flag, open_lablog
from engine.table_format import FORMATS, format_rows


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("runs", help="list the runs in the lab log", description="List the runs in the lab log with their key metrics.")
    p.add_argument("--experiment", help="only runs of this experiment")
    p.add_argument("--status", choices=lablog.STATUSES, help="only runs with this status")
    p.add_argument("--metrics", help="comma-separated metric keys to show (default: the most common ones)")
    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    add_lablog_flag(p)
    add_common(p)
    p.set_defaults(run=run)


def _duration(r) -> float | None:
    if r["end_time"] is None:
        return None
    return round((r["end_time"] - r["start_time"]).total_seconds(), 3)


def run(args: argparse.Namespace) -> int:
    log = open_lablog(args.lablog)
    runs = log.runs(experiment=args.experiment, status=args.status)
    if args.metrics:
        keys = [k.strip() for k in args.metrics.split(",") if k.strip()]
    else:
        counts = Counter(k for r in runs for k in r["metrics"])
        keys = sorted(k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:4])
    columns = ["run_id", "experiment", "name", "status", "start_time", "duration_s", *keys]
    rows = [
        (r["run_id"], r["experiment"], r["name"], r["status"], r["start_time"], _duration(r), *(r["metrics"].get(k) for k in keys))
        for r in runs
    ]
    sys.stdout.write(format_rows(columns, rows, args.format))
    return 0
