"""``dataengine lablog export|import|show|plot``: moving, inspecting and plotting lab log contents.

* ``export --parquet DIR [--no-artifacts]``: every table as Parquet partitioned by experiment, plus the
  artifact files (see :mod:`lablog.transfer`).
* ``import SOURCE``: merge another lab log (``.duckdb``) or an export folder by run id; idempotent.
* ``show RUN_ID``: the run, its config, params, latest metrics, tags, artifacts and child runs
  (``RUN_ID`` may be a unique prefix).
* ``plot RUN_ID --metric KEY --out FILE.png``: the metric's history against its step.
"""

from __future__ import annotations

import argparse
import json
import sys

from engine.cli import add_common
from engine.errors import UserError
from engine.lablog_location import add_lablog_flag, open_lablog
from engine.output import atomic_path
from engine.table_format import cell, format_rows, json_value

PLOT_FORMATS = (".png", ".svg", ".pdf")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lablog", help="export, import, show or plot lab log contents",
                       description="Export the lab log to Parquet, import another one, show a run, plot a metric.")
    add_common(p)
    actions = p.add_subparsers(dest="lablog_action", metavar="ACTION", parser_class=type(p))
    p.set_defaults(run=_no_action)

    e = actions.add_parser("export", help="export every table to Parquet, partitioned by experiment")
    e.add_argument("--parquet", metavar="DIR", required=True, help="folder to write (new, empty or an earlier export)")
    e.add_argument("--no-artifacts", action="store_true", help="tables only, without the artifact files")
    e.set_defaults(run=run_export)

    i = actions.add_parser("import", help="merge another lab log (.duckdb) or a Parquet export by run id")
    i.add_argument("source", metavar="SOURCE", help="another lab log file or an export folder")
    i.set_defaults(run=run_import)

    s = actions.add_parser("show", help="a run: params, last metrics, artifacts")
    s.add_argument("run_id", metavar="RUN_ID", help="run id or a unique prefix of it")
    s.add_argument("--json", action="store_true", help="everything as JSON")
    s.set_defaults(run=run_show)

    q = actions.add_parser("plot", help="plot a metric of a run against its step")
    q.add_argument("run_id", metavar="RUN_ID", help="run id or a unique prefix of it")
    q.add_argument("--metric", required=True, metavar="KEY", help="metric key")
    q.add_argument("--out", required=True, metavar="FILE.png", help="image to write (.png, .svg or .pdf)")
    q.set_defaults(run=run_plot)

    for a in (e, i, s, q):
        add_lablog_flag(a)
        add_common(a)


def _no_action(args: argparse.Namespace) -> int:
    raise UserError("lablog: expected an action: export, import, show or plot (see dataengine lablog --help)")


def run_export(args: argparse.Namespace) -> int:
    log = open_lablog(args.lablog)
    counts = log.export_parquet(args.parquet, with_artifacts=not args.no_artifacts)
    if not args.quiet:
        print(f"exported {', '.join(f'{n} {t}' for t, n in counts.items())} to {args.parquet}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    log = open_lablog(args.lablog, create=True)
    c = log.import_from(args.source)
    if not args.quiet:
        print(
            f"imported {c['runs']} runs ({c.get('metrics', 0)} metric points, {c.get('artifacts', 0)} artifacts) from {args.source}; "
            f"{c['runs_already_present']} already present, {c['runs_still_running']} still running skipped"
        )
    return 0


def _section(title: str, columns: list[str], rows: list[tuple]) -> None:
    print(f"\n{title}")
    if rows:
        sys.stdout.write(format_rows(columns, rows, "table"))
    else:
        print("(none)")


def run_show(args: argparse.Namespace) -> int:
    log = open_lablog(args.lablog)
    info = log.run_info(args.run_id)
    if args.json:
        print(json.dumps(json_value(info), indent=1))
        return 0
    for key in ("run_id", "experiment", "name", "parent_run_id", "status", "start_time", "end_time", "host", "pid", "seed",
                "git_commit", "command_line", "error"):
        if info.get(key) is not None:
            print(f"{key:14} {cell(info[key])}")
    if info["config"]:
        print(f"{'config':14} {json.dumps(info['config'], sort_keys=True)}")
    _section("params", ["key", "value"], [(k, json.dumps(v) if not isinstance(v, str) else v) for k, v in info["params"].items()])
    _section("metrics (latest)", ["key", "value", "step", "epoch", "min", "max", "points"],
             [(m["key"], m["value"], m["step"], m["epoch"], m["min_value"], m["max_value"], m["n_points"]) for m in info["metrics"]])
    if info["tags"]:
        _section("tags", ["key", "value"], list(info["tags"].items()))
    _section("artifacts", ["uri", "kind", "bytes", "sha256", "shape", "dtype"],
             [(f"lablog:{info['run_id']}/{a['name']}", a["kind"], a["bytes"], a["sha256"][:16], a["shape"], a["dtype"]) for a in info["artifacts"]])
    if info["children"]:
        _section("child runs", ["run_id", "name", "status"], [tuple(c.values()) for c in info["children"]])
    return 0


def run_plot(args: argparse.Namespace) -> int:
    if not args.out.lower().endswith(PLOT_FORMATS):
        raise UserError(f"expected --out FILE.png (or .svg, .pdf), got {args.out!r}")
    log = open_lablog(args.lablog)
    run_id = log.resolve_run_id(args.run_id)
    history = log.metric_history(run_id, args.metric)
    if not history:
        keys = [r[0] for r in log.sql("SELECT DISTINCT key FROM metrics WHERE run_id = ? ORDER BY key", [run_id])]
        raise UserError(f"run {run_id} has no metric {args.metric!r}; it has: {', '.join(keys) or 'no metrics'}")
    info = log.run_info(run_id)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.6), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    steps, values = [h[0] for h in history], [h[2] for h in history]
    ax.plot(steps, values, marker="." if len(steps) < 50 else None, linewidth=1.2)
    ax.set_xlabel("step")
    ax.set_ylabel(args.metric)
    ax.set_title(f"{info['experiment']} / {info['name']} ({run_id[:8]})", fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    suffix = args.out.lower().rsplit(".", 1)[1]
    with atomic_path(args.out) as tmp:
        fig.savefig(tmp, format=suffix)
    if not args.quiet:
        print(f"wrote {args.out} ({len(history)} points of {args.metric})")
    return 0
