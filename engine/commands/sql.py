"""``dataengine sql``: read-only SQL on the lab log, one query or an interactive prompt.

``dataengine sql "SELECT ..." [--format table|csv|json]`` runs the query and prints the result of each
statement. Statements that write (INSERT, UPDATE, DELETE, DROP, ALTER, CREATE, ATTACH, COPY, INSTALL,
writing PRAGMAs, ...) are refused with one ``error:`` line and exit code 2, and the database is opened
read-only with file access disabled anyway (see :mod:`lablog.readonly`).

Without a query it opens a prompt: statements end with ``;`` (or a blank line), ``.tables`` lists the
tables and views, ``.quit`` or end of input leaves. A refused or failing statement prints its ``error:``
line and the prompt goes on. History is kept with readline in ``~/.dataengine_sql_history``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.cli import add_common
from engine.lablog_location import add_lablog_flag, open_lablog
from engine.table_format import FORMATS, format_rows

HISTORY = Path("~/.dataengine_sql_history")
TABLES_QUERY = "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'main' AND table_name NOT LIKE 'lablog_%' ORDER BY table_name"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sql", help="read-only SQL on the lab log",
        description="Run read-only SQL on the lab log (tables experiments, runs, params, metrics, tags, artifacts; "
        "views latest_metrics, runs_with_params). Without QUERY, an interactive prompt.",
    )
    p.add_argument("query", nargs="?", help="SQL to run; omit for an interactive prompt")
    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    add_lablog_flag(p)
    add_common(p)
    p.set_defaults(run=run)


def _print_results(results, fmt: str) -> None:
    for columns, rows in results:
        if columns:
            sys.stdout.write(format_rows(columns, rows, fmt))


def run(args: argparse.Namespace) -> int:
    log = open_lablog(args.lablog)
    if args.query is not None:
        _print_results(log.query(args.query), args.format)
        return 0
    return prompt(log, args.format, quiet=args.quiet)


def _setup_history():
    try:
        import readline
    except ImportError:  # not on every platform
        return None, None
    path = HISTORY.expanduser()
    try:
        readline.read_history_file(path)
    except OSError:
        pass
    readline.set_history_length(2000)
    return readline, path


def prompt(log, fmt: str, quiet: bool = False) -> int:
    interactive = sys.stdin.isatty()
    readline, history = _setup_history()
    if interactive and not quiet:
        print(f"lab log {log.path} (read-only). End statements with ';'. .tables lists tables, .quit leaves.")
    lines: list[str] = []
    try:
        while True:
            try:
                line = input("...> " if lines else "sql> ") if interactive else _read_line()
            except EOFError:
                break
            stripped = line.strip()
            if not lines and stripped in (".quit", ".exit", "\\q"):
                break
            if not lines and stripped == ".tables":
                _print_results(log.query(TABLES_QUERY), fmt)
                continue
            if stripped:
                lines.append(line)
            if not lines or (stripped and not stripped.endswith(";")):
                continue
            statement = "\n".join(lines).strip()
            lines = []
            if readline is not None and not interactive:
                readline.add_history(statement)  # the terminal adds typed lines itself
            try:
                _print_results(log.query(statement), fmt)
            except ValueError as exc:  # refused statements and SQL errors: report and go on
                print(f"error: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
            sys.stdout.flush()
        if lines:
            try:
                _print_results(log.query("\n".join(lines)), fmt)
            except ValueError as exc:
                print(f"error: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
    finally:
        if readline is not None and history is not None:
            try:
                readline.write_history_file(history)
            except OSError:
                pass
    return 0


def _read_line() -> str:
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")
