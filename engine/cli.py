"""The ``dataengine`` command line.

Each subcommand lives in its own module under ``engine/commands/`` with two functions:
``register(subparsers)`` adds its parser (with ``set_defaults(run=...)``) and the ``run(args)`` it names
returns an exit code. :data:`COMMANDS` lists those modules in the order ``--help`` shows them.

User errors — a bad flag, a missing or malformed file, an unknown name, an invalid value — become one line
``error: ...`` on stderr and exit code 2, never a traceback. Output is staged so a failed command leaves
nothing half-written (see :mod:`engine.output`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from engine import __version__
from engine.errors import UserError

# Every subcommand module, in the order --help lists them. Add new commands here.
COMMANDS = [
    "engine.commands.devices",
    "engine.commands.capture",
    "engine.commands.views",
    "engine.commands.reexpose",
    "engine.commands.calibrate",
    "engine.commands.semantic",
    "engine.commands.generate",
    "engine.commands.synthesize",
    "engine.commands.data",
    "engine.commands.sql",
    "engine.commands.runs",
    "engine.commands.lablog_cmd",
]

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors as one ``error:`` line and exit code 2 (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(f"{self.prog}: {message}")


def add_common(parser: argparse.ArgumentParser) -> None:
    """Flags every (sub)command takes. ``--quiet`` may stand before or after the subcommand: a subparser's
    default is suppressed so that ``dataengine --quiet capture ...`` stays quiet."""
    parser.add_argument(
        "--quiet", "-q", action="store_true", default=argparse.SUPPRESS, help="no progress bars or informational output"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="dataengine",
        description="A semantic-plus-physical generative data engine for optical images.",
    )
    parser.add_argument("--version", action="version", version=f"dataengine {__version__}")
    add_common(parser)
    parser.set_defaults(quiet=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def _setup_runtime() -> None:
    # Offline by default: a hub lookup would otherwise spend tens of seconds retrying before failing.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    _setup_runtime()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "run", None):
            parser.print_help(sys.stderr if args.command is None else sys.stdout)
            return EXIT_USER_ERROR if args.command is None else 0
        return int(args.run(args) or 0)
    except (ValueError, OSError) as exc:  # UserError, InputError, missing files, permissions ...
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in message:
            message = f"{message}: {exc.filename}"
        print(f"error: {message}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
